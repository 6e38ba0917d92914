// Helpers of the tests that run Replicas on loopback (replica_test.cc, pool_handle_test.cc).
#pragma once

#include <chrono>
#include <functional>
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

}  // namespace hasync::testing
