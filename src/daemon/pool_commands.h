// PoolCommands: the pool.* control requests (docs/operations.md#address-pools), carried out on
// the node's net::PoolService, and the JSON of leases and of a pool's usage.
//
// pool.alloc, pool.renew and pool.release answer when the pool does: at once, or once the
// standby has acknowledged the lease (replicated durability, or any lease in the peer's
// share), or after the reconciliation the request waited for. pool.show and pool.list answer
// at once, from this node's records. Every successful answer carries "now_ms", the daemon's
// wall clock, so that a client on another host can say how long a lease has left without
// trusting its own clock; errors have the control protocol's shape ("exhausted", "not_found").
//
// Single-threaded: on the io thread, like the PoolService.
#pragma once

#include <functional>
#include <nlohmann/json.hpp>

#include "hasync/pool.h"
#include "net/pool_service.h"
#include "pool/pool.h"

namespace hasync::daemon {

// control_protocol.h, not included: its Command would meet config.h's in daemon.cc.
struct Request;

class PoolCommands {
 public:
  using Answer = std::function<void(const nlohmann::json& response)>;

  // `pools` must outlive this object.
  explicit PoolCommands(net::PoolService& pools) : pools_(pools) {}

  // A request for which IsPoolCommand holds; `answer` runs exactly once, possibly before
  // Handle returns.
  void Handle(const Request& request, const nlohmann::json& id, Answer answer);

  // The "pools" array of the status response: {"name","scope","leased","free"} per pool.
  nlohmann::json Summary();

 private:
  const pool::AddressPool* Find(std::string_view name) const;

  net::PoolService& pools_;
};

// {"address","client","state","granted_ms","expires_ms","own_share","extended"}
nlohmann::json LeaseJson(const Lease& lease);
// The counts and scope of `usage`, with the pool's settings (share, lease_time_s, grace_s,
// durability).
nlohmann::json UsageJson(const PoolUsage& usage, const PoolOptions& options);
// Every field of pool::PoolCounters, by its name.
nlohmann::json CountersJson(const pool::PoolCounters& counters);

}  // namespace hasync::daemon
