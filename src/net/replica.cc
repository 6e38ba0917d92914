// Replica: the embedding API over a NodeDriver. Calls from other threads are posted to the loop
// and wait on a future; a call that can never be answered (the loop stopped) returns
// kUnavailable instead of blocking.
#include <vector>

#include "hasync/node.h"
#include "net/consumer_options.h"
#include "net/driver_options.h"
#include "net/replica_impl.h"

namespace hasync {

namespace {

ReplicaStatus ToPublic(const core::NodeStatus& s) {
  ReplicaStatus r;
  r.node_id = s.node_id;
  r.role = s.role;
  r.sync = s.sync;
  r.peer_up = s.peer.connected;
  r.peer_id = s.peer.node_id;
  r.peer_role = s.peer.role;
  r.peer_in_sync = s.peer.in_sync;
  r.peer_sync = s.peer.sync;
  r.gvn = s.gvn;
  r.records = s.records;
  r.digest = s.digest;
  r.sync_done = s.sync_done;
  r.sync_total = s.sync_total;
  r.unacked_bytes = s.unacked_bytes;
  r.postponed = s.postponed;
  r.hlc = s.hlc;
  return r;
}

}  // namespace

Result<std::unique_ptr<Replica>> Replica::Create(ReplicaOptions options) {
  Result<net::NodeDriver::Options> driver_options = net::MakeDriverOptions(options);
  if (!driver_options.ok()) return driver_options.status();
  // A node configured with neither a peer address nor a peer id is alone and owns its pools
  // whole (include/hasync/pool.h).
  NodeId pool_peer = net::PoolPeerId(options);
  auto impl = std::make_unique<Impl>(std::move(driver_options).value(), pool_peer);
  if (!options.consumers.listen.empty()) {
    Result<net::ConsumerServer::Options> consumers = net::MakeConsumerOptions(options);
    if (!consumers.ok()) return consumers.status();
    impl->consumers_ = std::make_unique<net::ConsumerServer>(impl->io_, impl->driver_,
                                                             std::move(consumers).value());
    if (Status listening = impl->consumers_->Start(); !listening.ok()) return listening;
  }
  Status started = impl->driver_.Start();
  if (!started.ok()) return started;
  return std::unique_ptr<Replica>(new Replica(std::move(impl)));
}

Replica::Replica(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Replica::~Replica() { Stop(); }

Status Replica::Start() {
  Status entered = impl_->Enter();
  if (!entered.ok()) return entered;
  impl_->thread_ = std::thread([this] { impl_->RunLoop(); });
  return Status::Ok();
}

Status Replica::Run() {
  Status entered = impl_->Enter();
  if (!entered.ok()) return entered;
  impl_->RunLoop();
  return Status::Ok();
}

void Replica::Stop() { impl_->Stop(); }

Status Replica::Put(std::string_view table, std::string_view key, std::string_view value,
                    Durability durability, WriteIntent intent) {
  return impl_->Call<Status>([&](auto reply) {
    impl_->driver_.Put(table, key, value, durability, intent, std::move(reply));
  });
}

Status Replica::Erase(std::string_view table, std::string_view key, Durability durability,
                      WriteIntent intent) {
  return impl_->Call<Status>(
      [&](auto reply) { impl_->driver_.Erase(table, key, durability, intent, std::move(reply)); });
}

Result<std::string> Replica::Get(std::string_view table, std::string_view key) {
  return impl_->Call<Result<std::string>>([&](auto reply) {
    const store::Table* t = impl_->driver_.node().store().Find(table);
    std::optional<store::RecordView> record = t ? t->Get(key) : std::nullopt;
    if (!record) return reply(NotFound("no such record"));
    reply(std::string(record->value));
  });
}

Status Replica::ForEach(std::string_view table, const RecordFn& fn) {
  using Records = std::vector<std::pair<std::string, std::string>>;
  Result<Records> copied = impl_->Call<Result<Records>>([&](auto reply) {
    Records records;
    if (const store::Table* t = impl_->driver_.node().store().Find(table)) {
      records.reserve(t->size());
      t->ForEach([&](const store::RecordView& r) { records.emplace_back(r.key, r.value); });
    }
    reply(std::move(records));
  });
  if (!copied.ok()) return copied.status();
  for (const auto& [key, value] : *copied) fn(key, value);
  return Status::Ok();
}

Result<ReplicaStatus> Replica::GetStatus() {
  return impl_->Call<Result<ReplicaStatus>>(
      [&](auto reply) { reply(ToPublic(impl_->driver_.node().status())); });
}

Status Replica::Switchover() {
  return impl_->Call<Status>([&](auto reply) { impl_->driver_.Switchover(std::move(reply)); });
}

void Replica::OnRoleChange(RoleCallback callback) {
  auto subscribe = [this, callback = std::move(callback)]() mutable {
    impl_->driver_.OnRoleChange([callback = std::move(callback)](const core::RoleChanged& e) {
      callback(e.from, e.to, e.reason);
    });
  };
  std::lock_guard<std::mutex> lock(impl_->mu_);
  if (impl_->running_) {
    asio::post(impl_->io_, std::move(subscribe));
  } else {
    subscribe();
  }
}

void Replica::OnSplitBrain(SplitBrainCallback callback) {
  auto subscribe = [this, callback = std::move(callback)]() mutable {
    impl_->driver_.OnSplitBrain(
        [callback = std::move(callback)](const core::SplitBrainDetected& e) {
          callback(e.peer, e.keeps_active);
        });
  };
  std::lock_guard<std::mutex> lock(impl_->mu_);
  if (impl_->running_) {
    asio::post(impl_->io_, std::move(subscribe));
  } else {
    subscribe();
  }
}

Status Replica::SetMergeFunction(std::string_view table, MergeFunction merge) {
  std::lock_guard<std::mutex> lock(impl_->mu_);
  if (impl_->running_ || impl_->finished_) {
    return Unavailable("SetMergeFunction must be called before Start or Run");
  }
  if (table.empty()) return InvalidArgument("the table name is empty");
  impl_->driver_.SetMergeFunction(table, std::move(merge));
  return Status::Ok();
}

Status Replica::SetSectionFunction(std::string_view table,
                                   std::function<uint8_t(std::string_view key)> fn) {
  std::lock_guard<std::mutex> lock(impl_->mu_);
  if (impl_->running_ || impl_->finished_) {
    return Unavailable("SetSectionFunction must be called before Start or Run");
  }
  if (!impl_->consumers_) return InvalidArgument("the replica has no consumer port");
  if (table.empty()) return InvalidArgument("the table name is empty");
  if (!fn) return InvalidArgument("the section function is empty");
  impl_->consumers_->SetSectionFunction(table, std::move(fn));
  return Status::Ok();
}

uint16_t Replica::listen_port() const { return impl_->driver_.listen_endpoint().port(); }

uint16_t Replica::consumer_port() const {
  return impl_->consumers_ ? impl_->consumers_->local_endpoint().port() : 0;
}

}  // namespace hasync
