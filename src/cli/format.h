// Human-readable one-liners for hasyncctl's answers (--json prints the daemon's JSON instead).
// Each takes a successful response object; a missing field prints as "?" rather than failing,
// so an older or newer daemon still gets a readable answer.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

namespace hasync::cli {

// "node 1: active, peer 2 up (standby, in sync), sync idle, gvn 3, 100000 records, digest 9f...";
// while syncing "sync reconciling 1200/100000 records received", with the peer's sync state
// when it is not idle ("peer 2 up (standby, reconciling, not in sync)"), and ", 3 writes
// postponed" or ", 4096 bytes unacked" at the end when there are any. Then a line per address
// pool, if the node has any ("pool lan: whole-pool, 3 leased, 250 free"), and one for its
// consumer port, if it has one (consumer_format.h).
std::string FormatStatus(const nlohmann::json& status);
// "loaded 200000 records in 1.52 s (131579 records/s)"
std::string FormatLoad(const nlohmann::json& response);
// "digest 9f86d081884c7d65, 100000 records"
std::string FormatDigest(const nlohmann::json& response);
// "nat<TAB>10.0.0.1:1234<TAB>198.51.100.7:40000"; bytes that are not UTF-8 as "base64:..."
std::string FormatRecord(const nlohmann::json& record);
// The value of a get response as raw bytes (decoded from value_base64 when needed).
std::string RawValue(const nlohmann::json& response);

}  // namespace hasync::cli
