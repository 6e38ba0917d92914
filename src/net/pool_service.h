// PoolService: the address pools of one node (include/hasync/pool.h), run on its NodeDriver's
// io thread; the daemon and hasync::Pool both use it.
//
// It gives each pool::AddressPool the node, the time (the driver's clock and the system's wall
// clock) and the node's completions of the pool's writes; it ticks every pool every
// pool::kTickInterval and right after a role change or a reconciliation, so requests that
// waited for a reconciliation run as soon as it ends; and it hands each reply to the callback
// of its request. Pool log lines go to spdlog.
//
// Single-threaded, like the driver: every method on the io thread.
#pragma once

#include <asio/io_context.hpp>
#include <asio/steady_timer.hpp>
#include <functional>
#include <memory>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "hasync/pool.h"
#include "net/lifetime.h"
#include "net/node_driver.h"
#include "pool/pool.h"

namespace hasync::net {

class PoolService {
 public:
  using LeaseDone = std::function<void(Result<Lease>)>;

  // `peer`: the peer's node id, 0 for a node configured without a peer (its pools are all its
  // own). `driver` must outlive this object.
  PoolService(asio::io_context& io, NodeDriver& driver, NodeId self, NodeId peer);
  ~PoolService();
  PoolService(const PoolService&) = delete;
  PoolService& operator=(const PoolService&) = delete;

  // Before the driver starts: checks the options, installs the pool's merge function and adds
  // it to the settings the two nodes compare. Errors: kInvalidArgument (also a second pool of
  // the same name).
  Status Add(PoolOptions options);
  // Starts the ticks; idempotent.
  void Start();
  // Once the driver has shut down: stops the ticks and fails every request still waiting.
  void Stop();

  // `done` runs with the lease (a release: the released lease) or the error, possibly before
  // Request returns.
  void Request(std::string_view pool, pool::PoolOp op, std::string_view client,
               std::string_view address, LeaseDone done);
  Result<Lease> LookupClient(std::string_view pool, std::string_view client);
  Result<Lease> LookupAddress(std::string_view pool, std::string_view address);
  Result<std::vector<Lease>> List(std::string_view pool, std::string_view from, size_t limit);
  Result<PoolUsage> Usage(std::string_view pool);
  // For every pool (the statement is about the peer, not a pool).
  Status DeclarePartnerDown();

  const std::vector<std::unique_ptr<pool::AddressPool>>& pools() const { return pools_; }

 private:
  pool::AddressPool* Find(std::string_view name) const;
  pool::PoolClock Clock(core::TimePoint now) const;
  void TickAll();
  void TickSoon();  // posted: the driver is in the middle of its effects
  void ArmTick();
  void OnCompleted(const core::WriteCompleted& done);
  // Hands out the replies and log lines of `pool`.
  void Deliver(pool::AddressPool& pool);

  asio::io_context& io_;
  NodeDriver& driver_;
  NodeId self_;
  NodeId peer_;
  std::vector<std::unique_ptr<pool::AddressPool>> pools_;
  std::unordered_map<uint64_t, LeaseDone> waiting_;  // by token
  asio::steady_timer tick_;
  bool ticking_ = false;
  Lifetime lifetime_;  // last: its handlers stop before anything else goes
};

}  // namespace hasync::net
