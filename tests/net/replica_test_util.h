// Helpers of the tests that run Replicas on loopback (replica_test.cc, pool_handle_test.cc).
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <thread>

#include "hasync/node.h"

namespace hasync::testing {

using namespace std::chrono_literals;

// A node on 127.0.0.1 (a free port), plain TCP (tls_link_test.cc is about TLS), a short
// startup wait.
inline ReplicaOptions LoopbackOptions(NodeId id, uint8_t priority) {
  ReplicaOptions o;
  o.node_id = id;
  o.priority = priority;
  o.listen = "127.0.0.1:0";
  o.startup_wait = 200ms;
  o.tls.insecure = true;
  return o;
}

// Polls `done` every 5 ms until it holds (true) or `limit` passed (false).
inline bool Eventually(const std::function<bool()>& done, std::chrono::milliseconds limit = 5s) {
  auto deadline = std::chrono::steady_clock::now() + limit;
  while (!done()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(5ms);
  }
  return true;
}

// Creates the standby (options `b`), then the active (options `a`, dialing the standby's
// port), neither started.
inline void CreateLoopbackPair(ReplicaOptions a, ReplicaOptions b, std::unique_ptr<Replica>* active,
                               std::unique_ptr<Replica>* standby) {
  auto made_b = Replica::Create(std::move(b));
  ASSERT_TRUE(made_b.ok()) << made_b.status().ToString();
  *standby = std::move(made_b).value();
  a.peer = "127.0.0.1:" + std::to_string((*standby)->listen_port());
  auto made_a = Replica::Create(std::move(a));
  ASSERT_TRUE(made_a.ok()) << made_a.status().ToString();
  *active = std::move(made_a).value();
}

// Whether `r` is active with its standby in sync.
inline bool ActiveWithStandbyInSync(Replica& r) {
  Result<ReplicaStatus> s = r.GetStatus();
  return s.ok() && s->role == Role::kActive && s->peer_in_sync;
}

}  // namespace hasync::testing
