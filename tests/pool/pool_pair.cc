#include "pool_pair.h"

#include <gtest/gtest.h>

#include <utility>
#include <variant>

#include "pool/lease.h"

namespace hasync::pool::testing {

PoolOptions Options(std::vector<std::string> ranges, ShareRule share) {
  PoolOptions o;
  o.name = "p";
  o.ranges = std::move(ranges);
  o.lease_time = std::chrono::seconds(60);
  o.grace = std::chrono::seconds(10);
  o.share = share;
  return o;
}

PoolPair::PoolPair(PoolOptions options, bool paired, core::CoreConfig a, core::CoreConfig b)
    : pair_(a, b) {
  for (int i = 0; i < (paired ? 2 : 1); ++i) {
    const NodeId self = i == 0 ? a.node_id : b.node_id;
    const NodeId peer = !paired ? 0 : i == 0 ? b.node_id : a.node_id;
    Result<std::unique_ptr<AddressPool>> pool = AddressPool::Create(options, self, peer);
    EXPECT_TRUE(pool.ok()) << pool.status().ToString();
    if (pool.ok()) pools_[i] = std::move(pool).value();
  }
}

void PoolPair::Start(int i) {
  pair_.Start(i);
  started_[i] = true;
  routed_[i] = pair_.events(i).size();
  if (pools_[i]) node(i).SetMergeFunction(pools_[i]->table(), pools_[i]->merge_function());
}

void PoolPair::Crash(int i) {
  started_[i] = false;
  pair_.Crash(i);
}

void PoolPair::StartAlone() {
  Start(0);
  Run(300ms);  // the startup wait (200 ms) ends
  EXPECT_EQ(node(0).role(), Role::kActive);
}

void PoolPair::StartConnected() {
  Start(0);
  Start(1);
  pair_.Connect();
  Run(200ms);
  EXPECT_EQ(node(0).role(), Role::kActive);
  EXPECT_EQ(node(1).role(), Role::kStandby);
  EXPECT_TRUE(node(0).peer().in_sync);
}

uint64_t PoolPair::wall_ms(int i) const {
  const auto elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(pair_.now()).count();
  return static_cast<uint64_t>(static_cast<int64_t>(kWallEpochMs) + elapsed + kWallSkewMs[i]);
}

std::optional<PoolReply> PoolPair::Send(int i, PoolOp op, std::string_view client,
                                        std::string_view address) {
  const uint64_t token = next_token_++;
  std::optional<PoolReply> reply =
      pools_[i]->Request(node(i), clock(i), op, client, address, token);
  Pump();
  return reply;
}

std::optional<PoolReply> PoolPair::Await(int i, uint64_t token, Duration limit) {
  for (Duration waited{0}; waited <= limit; waited += kTickInterval) {
    if (auto it = replies_[i].find(token); it != replies_[i].end()) {
      PoolReply reply = std::move(it->second);
      replies_[i].erase(it);
      return reply;
    }
    Run(kTickInterval);
  }
  return std::nullopt;
}

PoolReply PoolPair::Call(int i, PoolOp op, std::string_view client, std::string_view address) {
  if (std::optional<PoolReply> now = Send(i, op, client, address)) return std::move(*now);
  const uint64_t token = last_token();
  if (std::optional<PoolReply> later = Await(i, token)) return std::move(*later);
  ADD_FAILURE() << PoolOpName(op) << " of " << client << " on node " << i << " got no answer";
  return PoolReply{token, Timeout("no answer"), {}};
}

Result<Lease> PoolPair::Allocate(int i, std::string_view client) {
  PoolReply reply = Call(i, PoolOp::kAllocate, client);
  if (!reply.status.ok()) return reply.status;
  return reply.lease;
}

Result<Lease> PoolPair::Renew(int i, std::string_view client, std::string_view address) {
  PoolReply reply = Call(i, PoolOp::kRenew, client, address);
  if (!reply.status.ok()) return reply.status;
  return reply.lease;
}

Status PoolPair::Release(int i, std::string_view client, std::string_view address) {
  return Call(i, PoolOp::kRelease, client, address).status;
}

void PoolPair::Run(Duration span) {
  for (Duration done{0}; done < span; done += kTickInterval) {
    pair_.Run(std::min<Duration>(kTickInterval, span - done));
    Pump();
    for (int i = 0; i < 2; ++i) Tick(i);
  }
}

void PoolPair::Tick(int i) {
  if (!running(i)) return;
  pools_[i]->Tick(node(i), clock(i));
  Pump();
}

void PoolPair::Pump() {
  pair_.Settle();
  for (int i = 0; i < 2; ++i) Route(i);
}

void PoolPair::Route(int i) {
  if (!running(i)) return;
  std::vector<core::Event>& events = pair_.events(i);
  for (; routed_[i] < events.size(); ++routed_[i]) {
    if (auto* done = std::get_if<core::WriteCompleted>(&events[routed_[i]])) {
      pools_[i]->OnWriteCompleted(*done);
    }
  }
  for (PoolReply& reply : pools_[i]->TakeReplies()) {
    const uint64_t token = reply.token;
    replies_[i].insert_or_assign(token, std::move(reply));
  }
}

std::map<std::string, std::string> PoolPair::Clients(int i) {
  std::map<std::string, std::string> out;
  const store::Table* table = node(i).store().Find(pools_[0]->table());
  if (table == nullptr) return out;
  table->ForEach([&out](const store::RecordView& r) {
    Result<LeaseRecord> lease = DecodeLease(r.value);
    out.emplace(std::string(r.key), lease.ok() ? std::string(lease->client) : "?");
  });
  return out;
}

Lease Granted(const Result<Lease>& result) {
  EXPECT_TRUE(result.ok()) << result.status().ToString();
  return result.ok() ? result.value() : Lease{};
}

}  // namespace hasync::pool::testing
