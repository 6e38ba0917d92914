#include "cli/pool_format.h"

#include <fmt/format.h>

#include <chrono>

#include "cli/json_fields.h"

namespace hasync::cli {

namespace {

using nlohmann::json;

uint64_t NowMs(const json& response) {
  if (uint64_t now = Count(response, "now_ms"); now != 0) return now;
  auto now = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::system_clock::now().time_since_epoch());
  return static_cast<uint64_t>(now.count());
}

std::string YesNo(const json& j, const char* name) { return Flag(j, name) ? "yes" : "no"; }

}  // namespace

std::string FormatDuration(uint64_t ms) {
  uint64_t s = ms / 1000;
  const uint64_t days = s / 86400, hours = s / 3600 % 24, minutes = s / 60 % 60;
  s %= 60;
  if (days > 0) return fmt::format("{}d{}h{}m{}s", days, hours, minutes, s);
  if (hours > 0) return fmt::format("{}h{}m{}s", hours, minutes, s);
  if (minutes > 0) return fmt::format("{}m{}s", minutes, s);
  return fmt::format("{}s", s);
}

std::string FormatLease(const json& lease, uint64_t now_ms) {
  const std::string state = Text(lease, "state", "?");
  const uint64_t expires = Count(lease, "expires_ms");
  std::string when;
  if (expires > now_ms) {
    // A released or expired lease ends with its grace period, during which the address stays
    // reserved for the client.
    when = (state == "leased" ? "expires in " : "reserved for ") + FormatDuration(expires - now_ms);
  } else {
    when = "ended " + FormatDuration(now_ms - expires) + " ago";
  }
  // An answer without own_share (another version) is not flagged as the peer's.
  const json* own = FieldOf(lease, "own_share");
  const bool peer_share = own != nullptr && own->is_boolean() && !own->get<bool>();
  return fmt::format("{:<15}  {:<17}  {:<8}  {}{}", Text(lease, "address", "?"),
                     Text(lease, "client", "?"), state, when, peer_share ? " (peer's share)" : "");
}

std::string FormatLeaseAnswer(const json& response) {
  return FormatLease(Object(response, "lease"), NowMs(response));
}

std::string FormatLeaseList(const json& response) {
  const uint64_t now = NowMs(response);
  std::string out;
  const json* leases = FieldOf(response, "leases");
  if (leases != nullptr && leases->is_array()) {
    for (const json& lease : *leases) out += FormatLease(lease, now) + "\n";
  }
  if (out.empty()) out = "no leases\n";
  if (std::string next = Text(response, "next"); !next.empty()) {
    out +=
        fmt::format("more: hasyncctl pool list {} --from {}\n", Text(response, "pool", "?"), next);
  }
  out.pop_back();  // the caller ends the last line
  return out;
}

std::string FormatPoolUsage(const json& response) {
  const json u = Object(response, "usage");
  const json c = Object(response, "counters");
  std::string out =
      fmt::format("pool {}: {}, share {}, lease {} s, grace {} s, {}\n",
                  Text(response, "pool", "?"), Text(u, "scope", "?"), Text(u, "share", "?"),
                  Count(u, "lease_time_s"), Count(u, "grace_s"), Text(u, "durability", "?"));
  auto row = [&out](std::string_view name, const std::string& value) {
    out += fmt::format("  {:<14} {}\n", name, value);
  };
  row("addresses", std::to_string(Count(u, "size")));
  row("leased", std::to_string(Count(u, "leased")));
  row("reserved", std::to_string(Count(u, "reserved")));
  row("free", std::to_string(Count(u, "free")));
  row("own share",
      fmt::format("{}, {} free", Count(u, "own_share_size"), Count(u, "own_share_free")));
  row("outside", std::to_string(Count(u, "outside")));
  row("partner down", YesNo(u, "partner_down"));
  row("duplicates", std::to_string(Count(u, "duplicates")));
  out += fmt::format(
      "  allocations {}, renewals {}, releases {}, expirations {}, reclaims {}, exhausted {}, "
      "refused {}, waited {} ({} failed)",
      Count(c, "allocated"), Count(c, "renewed"), Count(c, "released"), Count(c, "expired"),
      Count(c, "reclaimed"), Count(c, "exhausted"), Count(c, "refused"), Count(c, "waited"),
      Count(c, "wait_failed"));
  return out;
}

std::string FormatPoolSummary(const json& pools) {
  std::string out;
  if (!pools.is_array()) return out;
  for (const json& p : pools) {
    if (!out.empty()) out += '\n';
    out += fmt::format("pool {}: {}, {} leased, {} free", Text(p, "name", "?"),
                       Text(p, "scope", "?"), Count(p, "leased"), Count(p, "free"));
  }
  return out;
}

}  // namespace hasync::cli
