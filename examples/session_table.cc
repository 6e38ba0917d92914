// session_table: a NAT-like gateway's session table, replicated with hasync::Replica.
//
// Run one copy per node. The active one opens sessions at --rate per second (a translation from
// an inside address to an outside port) and expires each after --lifetime-ms; the standby holds
// the same table and, when it takes over, carries on from the sessions it received - existing
// flows keep their translation. Both print their role changes and a status line every second.
//
//   scripts/hasync-certs /tmp/st node1 node2
//   session_table --node-id 1 --priority 200 --listen 127.0.0.1:7401 --peer 127.0.0.1:7402
//       --cert /tmp/st/node1.crt --key /tmp/st/node1.key --ca /tmp/st/ca.crt --peer-name node2
//   session_table --node-id 2 --priority 100 --listen 127.0.0.1:7402 --peer 127.0.0.1:7401
//       --cert /tmp/st/node2.crt --key /tmp/st/node2.key --ca /tmp/st/ca.crt --peer-name node1
//
// (each command on one line; or --psk-file with a key from scripts/hasync-certs --psk, or
// --insecure on a link no one else can reach)
//
// Stop the active one (Ctrl-C: graceful, or kill -9) and watch the other take over.
//
// Opening a session is an allocate write and expiring it a release write: while the pair
// reconciles (after a split-brain, or a switchover during a bulk sync) those wait until the
// active knows every session its peer holds, so it never hands out a translation the peer
// already gave to another flow. A split-brain is reported by OnSplitBrain; the sessions both
// sides opened meanwhile are merged (last writer wins, the default merge function).
#include <CLI/CLI.hpp>
#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <deque>
#include <string>
#include <thread>

#include "hasync/node.h"

namespace {

std::atomic<bool> g_stop{false};

struct Session {
  std::string key;
  std::chrono::steady_clock::time_point expires;
};

// "tcp 10.1.2.3:40001 > 198.51.100.7:443" -> "203.0.113.1:20001": a source NAT binding.
std::string SessionKey(uint64_t n) {
  return "tcp 10.1." + std::to_string(n / 250 % 250) + "." + std::to_string(n % 250 + 1) + ":" +
         std::to_string(1024 + n % 60000) + " > 198.51.100." + std::to_string(n % 200 + 1) + ":443";
}
std::string Translation(uint64_t n) { return "203.0.113.1:" + std::to_string(1024 + n % 64000); }

}  // namespace

int main(int argc, char** argv) {
  CLI::App app("a replicated NAT session table (hasync embedding example)", "session_table");
  hasync::ReplicaOptions options;
  unsigned priority = 100;
  unsigned rate = 1000;
  unsigned lifetime_ms = 30000;
  app.add_option("--node-id", options.node_id)->required();
  app.add_option("--priority", priority)->check(CLI::Range(0, 255));
  app.add_option("--listen", options.listen)->required();
  app.add_option("--peer", options.peer);
  app.add_option("--rate", rate, "new sessions per second while active");
  app.add_option("--lifetime-ms", lifetime_ms, "how long a session lives");
  app.add_option("--cert", options.tls.certificate, "this node's certificate (PEM)");
  app.add_option("--key", options.tls.private_key, "its private key (PEM)");
  app.add_option("--ca", options.tls.ca, "the CA the peer's certificate must chain to");
  app.add_option("--peer-name", options.tls.peer_name, "the name the peer's certificate carries");
  app.add_option("--psk-file", options.tls.psk_file, "pre-shared key instead of certificates");
  app.add_flag("--insecure", options.tls.insecure, "plain TCP: no authentication, no encryption");
  CLI11_PARSE(app, argc, argv);
  options.priority = static_cast<uint8_t>(priority);

  auto created = hasync::Replica::Create(options);
  if (!created.ok()) {
    std::fprintf(stderr, "session_table: %s\n", created.status().ToString().c_str());
    return 2;
  }
  std::unique_ptr<hasync::Replica> replica = std::move(created).value();
  std::atomic<hasync::Role> role{hasync::Role::kInit};
  replica->OnSplitBrain([](hasync::NodeId peer, bool keeps_active) {
    std::printf("split-brain with node %u: this node %s\n", peer,
                keeps_active ? "stays active and merges its peer's sessions"
                             : "yields and sends its sessions to the peer");
    std::fflush(stdout);
  });
  replica->OnRoleChange([&](hasync::Role from, hasync::Role to, std::string_view reason) {
    std::printf("role %s -> %s: %.*s\n", std::string(hasync::RoleName(from)).c_str(),
                std::string(hasync::RoleName(to)).c_str(), static_cast<int>(reason.size()),
                reason.data());
    std::fflush(stdout);
    role = to;
  });
  std::signal(SIGINT, [](int) { g_stop = true; });
  std::signal(SIGTERM, [](int) { g_stop = true; });
  if (hasync::Status s = replica->Start(); !s.ok()) {
    std::fprintf(stderr, "session_table: %s\n", s.ToString().c_str());
    return 1;
  }

  constexpr auto kTick = std::chrono::milliseconds(10);
  std::deque<Session> open;  // sessions this node opened, oldest first
  uint64_t next = 0;
  auto next_report = std::chrono::steady_clock::now();
  bool was_active = false;
  while (!g_stop) {
    auto now = std::chrono::steady_clock::now();
    bool active = role == hasync::Role::kActive;
    if (active && !was_active) {
      // Taking over: the replicated sessions are ours to expire now. Their remaining lifetime
      // is not replicated in this example, so each gets a full one.
      open.clear();
      (void)replica->ForEach("nat", [&](std::string_view key, std::string_view) {
        open.push_back({std::string(key), now + std::chrono::milliseconds(lifetime_ms)});
      });
      next += open.size();
      std::printf("took over %zu sessions\n", open.size());
    }
    was_active = active;
    if (active) {
      for (unsigned i = 0; i < std::max(1u, rate / 100); ++i, ++next) {
        std::string key = SessionKey(next);
        if (replica
                ->Put("nat", key, Translation(next), hasync::Durability::kAsync,
                      hasync::WriteIntent::kAllocate)
                .ok()) {
          open.push_back({key, now + std::chrono::milliseconds(lifetime_ms)});
        }
      }
      while (!open.empty() && open.front().expires <= now) {
        // May be gone already: fine.
        (void)replica->Erase("nat", open.front().key, hasync::Durability::kAsync,
                             hasync::WriteIntent::kRelease);
        open.pop_front();
      }
    }
    if (now >= next_report) {
      if (auto s = replica->GetStatus(); s.ok()) {
        std::printf("node %u %s: %llu sessions, peer %s%s, sync %s, digest %016llx\n", s->node_id,
                    std::string(hasync::RoleName(s->role)).c_str(),
                    static_cast<unsigned long long>(s->records), s->peer_up ? "up" : "down",
                    s->peer_up && s->peer_in_sync ? " (in sync)" : "",
                    std::string(hasync::SyncStateName(s->sync)).c_str(),
                    static_cast<unsigned long long>(s->digest));
        std::fflush(stdout);
      }
      next_report = now + std::chrono::seconds(1);
    }
    std::this_thread::sleep_for(kTick);
  }
  replica->Stop();  // the peer takes over at once
  return 0;
}
