// hasync::Pool: the embedding API of one address pool, over the replica's PoolService. Calls
// run on the replica's loop through Replica::Impl::Call, as Replica's own do.
#include "fmt/format.h"
#include "hasync/pool.h"
#include "net/replica_impl.h"

namespace hasync {

class Pool::Impl {
 public:
  Impl(Replica::Impl* replica, std::string name) : replica_(replica), name_(std::move(name)) {}

  Result<Lease> Request(pool::PoolOp op, std::string_view client, std::string_view address) {
    return replica_->Call<Result<Lease>>([&](auto reply) {
      replica_->pools_.Request(name_, op, client, address, std::move(reply));
    });
  }
  template <typename R, typename Fn>
  R Read(Fn fn) {
    return replica_->Call<R>([&](auto reply) { reply(fn(replica_->pools_)); });
  }
  const std::string& name() const { return name_; }

 private:
  Replica::Impl* replica_;
  std::string name_;
};

Result<std::unique_ptr<Pool>> Pool::Create(Replica& replica, PoolOptions options) {
  Replica::Impl& r = *replica.impl_;
  std::lock_guard<std::mutex> lock(r.mu_);
  if (r.running_ || r.finished_) return Unavailable("pools must be created before Start or Run");
  std::string name = options.name;
  if (Status added = r.pools_.Add(std::move(options)); !added.ok()) return added;
  r.pools_.Start();
  return std::unique_ptr<Pool>(new Pool(std::make_unique<Impl>(&r, std::move(name))));
}

Pool::Pool(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Pool::~Pool() = default;

Result<Lease> Pool::Allocate(std::string_view client) {
  return impl_->Request(pool::PoolOp::kAllocate, client, {});
}

Result<Lease> Pool::Renew(std::string_view client, std::string_view address) {
  return impl_->Request(pool::PoolOp::kRenew, client, address);
}

Status Pool::Release(std::string_view client, std::string_view address) {
  return impl_->Request(pool::PoolOp::kRelease, client, address).status();
}

Result<Lease> Pool::LookupClient(std::string_view client) {
  return impl_->Read<Result<Lease>>(
      [&](net::PoolService& s) { return s.LookupClient(impl_->name(), client); });
}

Result<Lease> Pool::LookupAddress(std::string_view address) {
  return impl_->Read<Result<Lease>>(
      [&](net::PoolService& s) { return s.LookupAddress(impl_->name(), address); });
}

Result<std::vector<Lease>> Pool::List(std::string_view from, size_t limit) {
  return impl_->Read<Result<std::vector<Lease>>>(
      [&](net::PoolService& s) { return s.List(impl_->name(), from, limit); });
}

Result<PoolUsage> Pool::Usage() {
  return impl_->Read<Result<PoolUsage>>(
      [&](net::PoolService& s) { return s.Usage(impl_->name()); });
}

Status Pool::DeclarePartnerDown() {
  return impl_->Read<Status>([](net::PoolService& s) { return s.DeclarePartnerDown(); });
}

}  // namespace hasync
