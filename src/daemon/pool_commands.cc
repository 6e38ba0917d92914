#include "daemon/pool_commands.h"

#include <fmt/format.h>

#include <chrono>
#include <string>
#include <utility>
#include <vector>

#include "daemon/control_protocol.h"

namespace hasync::daemon {

namespace {

using nlohmann::json;

uint64_t NowMs() {
  auto now = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::system_clock::now().time_since_epoch());
  return static_cast<uint64_t>(now.count());
}

json Answered(const json& id, std::string_view pool) {
  json r = OkResponse(id);
  if (!pool.empty()) r["pool"] = pool;
  r["now_ms"] = NowMs();
  return r;
}

pool::PoolOp OpOf(Command command) {
  switch (command) {
    case Command::kPoolRenew:
      return pool::PoolOp::kRenew;
    case Command::kPoolRelease:
      return pool::PoolOp::kRelease;
    default:
      return pool::PoolOp::kAllocate;
  }
}

}  // namespace

json LeaseJson(const Lease& lease) {
  return json{{"address", lease.address},
              {"client", lease.client},
              {"state", LeaseStateName(lease.state)},
              {"granted_ms", lease.granted_ms},
              {"expires_ms", lease.expires_ms},
              {"own_share", lease.own_share},
              {"extended", lease.extended}};
}

json UsageJson(const PoolUsage& u, const PoolOptions& o) {
  return json{{"size", u.size},
              {"leased", u.leased},
              {"reserved", u.reserved},
              {"free", u.free},
              {"own_share_size", u.own_share_size},
              {"own_share_free", u.own_share_free},
              {"outside", u.outside},
              {"scope", PoolScopeName(u.scope)},
              {"partner_down", u.partner_down},
              {"duplicates", u.duplicates},
              {"share", ShareRuleName(o.share)},
              {"lease_time_s", o.lease_time.count()},
              {"grace_s", o.grace.count()},
              {"durability", o.durability == Durability::kReplicated ? "replicated" : "async"}};
}

json CountersJson(const pool::PoolCounters& c) {
  return json{{"allocated", c.allocated},      {"renewed", c.renewed},
              {"released", c.released},        {"expired", c.expired},
              {"reclaimed", c.reclaimed},      {"exhausted", c.exhausted},
              {"refused", c.refused},          {"waited", c.waited},
              {"wait_failed", c.wait_failed},  {"rebuilds", c.rebuilds},
              {"partner_down", c.partner_down}};
}

const pool::AddressPool* PoolCommands::Find(std::string_view name) const {
  for (const auto& p : pools_.pools()) {
    if (p->options().name == name) return p.get();
  }
  return nullptr;
}

json PoolCommands::Summary() {
  json pools = json::array();
  for (const auto& p : pools_.pools()) {
    Result<PoolUsage> u = pools_.Usage(p->options().name);
    if (!u.ok()) continue;  // cannot happen: the name is one of the service's
    pools.push_back({{"name", p->options().name},
                     {"scope", PoolScopeName(u->scope)},
                     {"leased", u->leased},
                     {"free", u->free}});
  }
  return pools;
}

void PoolCommands::Handle(const Request& r, const json& id, Answer answer) {
  switch (r.command) {
    case Command::kPoolAlloc:
    case Command::kPoolRenew:
    case Command::kPoolRelease:
      return pools_.Request(r.pool, OpOf(r.command), r.client, r.address,
                            [id, answer, name = r.pool](Result<Lease> lease) {
                              if (!lease.ok()) return answer(ErrorResponse(id, lease.status()));
                              json response = Answered(id, name);
                              response["lease"] = LeaseJson(*lease);
                              answer(response);
                            });
    case Command::kPoolShow: {
      if (!r.client.empty() || !r.address.empty()) {
        Result<Lease> lease = r.client.empty() ? pools_.LookupAddress(r.pool, r.address)
                                               : pools_.LookupClient(r.pool, r.client);
        if (!lease.ok()) return answer(ErrorResponse(id, lease.status()));
        json response = Answered(id, r.pool);
        response["lease"] = LeaseJson(*lease);
        return answer(response);
      }
      Result<PoolUsage> usage = pools_.Usage(r.pool);
      const pool::AddressPool* p = Find(r.pool);
      if (!usage.ok() || p == nullptr) return answer(ErrorResponse(id, usage.status()));
      json response = Answered(id, r.pool);
      response["usage"] = UsageJson(*usage, p->options());
      response["counters"] = CountersJson(p->counters());
      return answer(response);
    }
    case Command::kPoolList: {
      // One more than asked: whether there is a next page, and where it starts.
      Result<std::vector<Lease>> listed = pools_.List(r.pool, r.from, r.limit + 1);
      if (!listed.ok()) return answer(ErrorResponse(id, listed.status()));
      if (!r.from.empty()) {
        // The pool lists from its start when `from` is none of its addresses; a typo must not
        // page through the pool again from the top.
        Result<Lease> at = pools_.LookupAddress(r.pool, r.from);
        if (at.status().code() == Code::kInvalidArgument) {
          return answer(ErrorResponse(id, at.status()));
        }
      }
      std::vector<Lease>& leases = listed.value();
      json response = Answered(id, r.pool);
      if (leases.size() > r.limit) {
        response["next"] = leases[r.limit].address;
        leases.resize(r.limit);
      }
      json list = json::array();
      for (const Lease& lease : leases) list.push_back(LeaseJson(lease));
      response["leases"] = std::move(list);
      return answer(response);
    }
    case Command::kPoolPartnerDown: {
      Status declared = pools_.DeclarePartnerDown();
      if (!declared.ok()) return answer(ErrorResponse(id, declared));
      json response = Answered(id, "");
      response["pools"] = Summary();
      return answer(response);
    }
    default:
      return answer(ErrorResponse(id, InvalidArgument("not a pool command")));
  }
}

}  // namespace hasync::daemon
