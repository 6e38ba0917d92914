#include "net/pool_service.h"

#include <spdlog/spdlog.h>
#include <xxhash.h>

#include <algorithm>
#include <asio/post.hpp>
#include <chrono>
#include <utility>

#include "fmt/format.h"

namespace hasync::net {

PoolService::PoolService(asio::io_context& io, NodeDriver& driver, NodeId self, NodeId peer)
    : io_(io), driver_(driver), self_(self), peer_(peer), tick_(io) {
  driver_.OnUnclaimedWrite(
      lifetime_.Guard([this](const core::WriteCompleted& done) { OnCompleted(done); }));
  // Waiting requests run as soon as the reconciliation ends, not at the next tick. Posted:
  // the driver is in the middle of its effects.
  driver_.OnReconcileCompleted(
      lifetime_.Guard([this](const core::ReconcileCompleted&) { TickSoon(); }));
  driver_.OnRoleChange(lifetime_.Guard([this](const core::RoleChanged&) { TickSoon(); }));
}

PoolService::~PoolService() { Stop(); }

void PoolService::Stop() {
  tick_.cancel();
  // The stopped core answers nothing more: whoever still waits (a thread blocked in
  // hasync::Pool::Allocate) must hear so now.
  for (auto& [token, done] : std::exchange(waiting_, {})) {
    done(Unavailable("the node stopped"));
  }
}

Status PoolService::Add(PoolOptions options) {
  if (Find(options.name) != nullptr) {
    return InvalidArgument(fmt::format("two pools are called {}", options.name));
  }
  Result<std::unique_ptr<pool::AddressPool>> made =
      pool::AddressPool::Create(std::move(options), self_, peer_);
  if (!made.ok()) return made.status();
  pool::AddressPool& added = *made.value();
  driver_.SetMergeFunction(added.table(), added.merge_function());
  driver_.WithNode([&](core::Node& node, core::TimePoint) { added.Attach(node); });
  pools_.push_back(std::move(made).value());
  // Both nodes must number and share every pool alike: the hello compares this digest.
  std::vector<uint64_t> digests;
  for (const auto& p : pools_) digests.push_back(p->settings_digest());
  std::sort(digests.begin(), digests.end());
  driver_.SetApplicationDigest("pools",
                               XXH3_64bits(digests.data(), digests.size() * sizeof(uint64_t)));
  return Status::Ok();
}

void PoolService::Start() {
  if (ticking_ || pools_.empty()) return;
  ticking_ = true;
  ArmTick();
}

void PoolService::ArmTick() {
  tick_.expires_after(pool::kTickInterval);
  tick_.async_wait(lifetime_.Guard([this](std::error_code ec) {
    if (ec || driver_.stopped()) return;
    TickAll();
    ArmTick();
  }));
}

pool::PoolClock PoolService::Clock(core::TimePoint now) const {
  auto wall = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::system_clock::now().time_since_epoch());
  return {now, static_cast<uint64_t>(wall.count())};
}

void PoolService::TickSoon() {
  asio::post(io_, lifetime_.Guard([this] { TickAll(); }));
}

void PoolService::TickAll() {
  for (const auto& p : pools_) {
    driver_.WithNode([&](core::Node& node, core::TimePoint now) { p->Tick(node, Clock(now)); });
    Deliver(*p);
  }
}

void PoolService::Request(std::string_view name, pool::PoolOp op, std::string_view client,
                          std::string_view address, LeaseDone done) {
  pool::AddressPool* p = Find(name);
  if (p == nullptr) return done(NotFound(fmt::format("no pool called {}", name)));
  if (driver_.stopped()) return done(Unavailable("the node stopped"));
  const uint64_t token = driver_.NewToken();
  waiting_.emplace(token, std::move(done));
  driver_.WithNode([&](core::Node& node, core::TimePoint now) {
    if (auto reply = p->Request(node, Clock(now), op, client, address, token)) {
      auto it = waiting_.find(token);
      LeaseDone callback = std::move(it->second);
      waiting_.erase(it);
      callback(reply->status.ok() ? Result<Lease>(std::move(reply->lease))
                                  : Result<Lease>(reply->status));
    }
  });
  Deliver(*p);
}

void PoolService::OnCompleted(const core::WriteCompleted& done) {
  for (const auto& p : pools_) {
    if (p->OnWriteCompleted(done)) {
      Deliver(*p);
      return;
    }
  }
  spdlog::error("the core completed write {}, which no caller waits for", done.token);
}

void PoolService::Deliver(pool::AddressPool& p) {
  for (pool::PoolReply& reply : p.TakeReplies()) {
    auto it = waiting_.find(reply.token);
    if (it == waiting_.end()) continue;
    LeaseDone callback = std::move(it->second);
    waiting_.erase(it);
    callback(reply.status.ok() ? Result<Lease>(std::move(reply.lease))
                               : Result<Lease>(reply.status));
  }
  for (const std::string& line : p.TakeLog()) spdlog::warn("{}", line);
}

pool::AddressPool* PoolService::Find(std::string_view name) const {
  for (const auto& p : pools_) {
    if (p->options().name == name) return p.get();
  }
  return nullptr;
}

Result<Lease> PoolService::LookupClient(std::string_view name, std::string_view client) {
  pool::AddressPool* p = Find(name);
  if (p == nullptr) return NotFound(fmt::format("no pool called {}", name));
  return p->LookupClient(driver_.node(), client);
}

Result<Lease> PoolService::LookupAddress(std::string_view name, std::string_view address) {
  pool::AddressPool* p = Find(name);
  if (p == nullptr) return NotFound(fmt::format("no pool called {}", name));
  return p->LookupAddress(driver_.node(), address);
}

Result<std::vector<Lease>> PoolService::List(std::string_view name, std::string_view from,
                                             size_t limit) {
  pool::AddressPool* p = Find(name);
  if (p == nullptr) return NotFound(fmt::format("no pool called {}", name));
  return p->List(driver_.node(), from, limit);
}

Result<PoolUsage> PoolService::Usage(std::string_view name) {
  pool::AddressPool* p = Find(name);
  if (p == nullptr) return NotFound(fmt::format("no pool called {}", name));
  return p->Usage(driver_.node());
}

Status PoolService::DeclarePartnerDown() {
  if (pools_.empty()) return NotFound("this node has no pools");
  for (const auto& p : pools_) {
    if (Status s = p->DeclarePartnerDown(driver_.node()); !s.ok()) return s;
    Deliver(*p);
  }
  return Status::Ok();
}

}  // namespace hasync::net
