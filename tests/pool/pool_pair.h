// PoolPair: an AddressPool on each node of a core::testing::Pair, driven as the daemon drives
// them: requests carry the node's virtual time and wall clock, the nodes' WriteCompleted events
// go to the pools, and both pools Tick after every kTickInterval of virtual time. Everything is
// deterministic: there is no real clock anywhere.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/pair.h"
#include "pool/pool.h"

namespace hasync::pool::testing {

using core::Duration;
using core::testing::Pair;
using namespace std::chrono_literals;

// Pair's reference wall clock (tests/core/pair.cc): this epoch plus the virtual time, plus each
// node's default skew (node 1 runs 7 ms ahead), so the pools see the wall clock their node's
// HLC follows.
inline constexpr uint64_t kWallEpochMs = 1'767'225'600'000;
inline constexpr std::array<int64_t, 2> kWallSkewMs = {0, 7};

// A pool named "p" over `ranges`, 60 s leases and 10 s of grace (short, so tests can run past
// them in virtual time).
PoolOptions Options(std::vector<std::string> ranges, ShareRule share = ShareRule::kOddEven);

class PoolPair {
 public:
  // Node 0 has id 1 and priority 200 (it owns the even ordinals under odd-even), node 1 id 2 and
  // priority 100. Unpaired: one pool, on node 0, created without a peer (nothing starts node 1).
  PoolPair(PoolOptions options, bool paired, core::CoreConfig a = core::testing::TestConfig(1, 200),
           core::CoreConfig b = core::testing::TestConfig(2, 100));

  // Node 0 alone until it becomes active.
  void StartAlone();
  // Both nodes, connected, node 0 active with node 1 an in-sync standby.
  void StartConnected();
  // Starts (or restarts) node i and installs its pool's merge function.
  void Start(int i);
  // Destroys node i (its pool object stays, idle, until Start(i)).
  void Crash(int i);

  Pair& pair() { return pair_; }
  core::Node& node(int i) { return pair_.node(i); }
  AddressPool& pool(int i) { return *pools_[i]; }
  uint64_t wall_ms(int i) const;
  PoolClock clock(int i) const { return {pair_.now(), wall_ms(i)}; }

  // The pool's answer now, or nullopt: it comes later (Await) with last_token().
  std::optional<PoolReply> Send(int i, PoolOp op, std::string_view client,
                                std::string_view address = {});
  uint64_t last_token() const { return next_token_ - 1; }
  // Runs until the answer to `token` comes, for at most `limit` of virtual time.
  std::optional<PoolReply> Await(int i, uint64_t token, Duration limit = 5s);
  // Send, then Await if need be; a missing answer fails the test (status kTimeout).
  PoolReply Call(int i, PoolOp op, std::string_view client, std::string_view address = {});
  Result<Lease> Allocate(int i, std::string_view client);
  Result<Lease> Renew(int i, std::string_view client, std::string_view address);
  Status Release(int i, std::string_view client, std::string_view address);

  // Advances virtual and wall time by `span` in kTickInterval steps, ticking both pools.
  void Run(Duration span);
  void Tick(int i);
  // Delivers what is in flight and hands the nodes' completions to the pools.
  void Pump();

  // The records of node i's pool table: address -> client ("?" for a value that does not
  // decode).
  std::map<std::string, std::string> Clients(int i);

 private:
  void Route(int i);
  bool running(int i) const { return started_[i] && pools_[i] != nullptr; }

  Pair pair_;
  std::array<std::unique_ptr<AddressPool>, 2> pools_;
  std::array<bool, 2> started_{};
  std::array<size_t, 2> routed_{};  // events of each node already looked at
  std::array<std::map<uint64_t, PoolReply>, 2> replies_;
  uint64_t next_token_ = 1;
};

// Lease of `result`, failing the test (and returning an empty lease) if it is an error.
Lease Granted(const Result<Lease>& result);

}  // namespace hasync::pool::testing
