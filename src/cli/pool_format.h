// Human-readable answers of the pool commands (hasyncctl pool ...; --json prints the daemon's
// JSON instead). Like format.h, each reads fields with json_fields.h: a missing or mistyped
// field prints as "?" or 0, never fails, so a broken daemon cannot crash hasyncctl.
//
// Times are relative to the answer's "now_ms" (the daemon's clock, so a client on another host
// with a skewed clock still reads the right remaining time); a daemon that sent none is
// measured against this host's clock.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>

namespace hasync::cli {

// "59m12s", "1h0m0s", "2d3h0m5s", "0s" (whole seconds, rounded down).
std::string FormatDuration(uint64_t ms);
// One lease: "10.0.0.7         aa:bb:cc:dd:ee:01  leased    expires in 59m12s", then
// " (peer's share)" for an address in the peer's share. A released or expired lease shows its
// grace period: "reserved for 9m58s"; any lease past its end "ended 3s ago".
std::string FormatLease(const nlohmann::json& lease, uint64_t now_ms);
// The "lease" of an alloc, renew, release or show answer.
std::string FormatLeaseAnswer(const nlohmann::json& response);
// A list answer: one line per lease ("no leases" for none), and how to get the next page.
std::string FormatLeaseList(const nlohmann::json& response);
// A show answer without client or address: the pool's settings, usage and counters.
std::string FormatPoolUsage(const nlohmann::json& response);
// One line per element of a "pools" array (status, partner-down):
// "pool lan: whole-pool, 3 leased, 250 free"; "" for none.
std::string FormatPoolSummary(const nlohmann::json& pools);

}  // namespace hasync::cli
