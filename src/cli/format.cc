#include "cli/format.h"

#include <fmt/format.h>

#include "cli/consumer_format.h"
#include "cli/json_fields.h"
#include "cli/pool_format.h"
#include "daemon/encoding.h"

namespace hasync::cli {

namespace {

using nlohmann::json;

// A field as text: strings bare, numbers and booleans as JSON, missing as "?".
std::string Field(const json& j, const char* name) {
  auto it = j.find(name);
  if (it == j.end() || it->is_null()) return "?";
  if (it->is_string()) return it->get<std::string>();
  return it->dump();
}

std::string BytesField(const json& j, const std::string& name) {
  if (auto it = j.find(name); it != j.end() && it->is_string()) return it->get<std::string>();
  if (auto it = j.find(name + "_base64"); it != j.end() && it->is_string()) {
    return "base64:" + it->get<std::string>();
  }
  return "?";
}

}  // namespace

// Whether the running sync sends this node's records ("sent") or brings the peer's.
std::string_view Direction(std::string_view sync, std::string_view role) {
  if (sync == "bulk_sending") return " sent";
  if (sync == "bulk_receiving") return " received";
  if (sync == "reconciling") {
    // The yielding node (standby now) sends its records; the active receives and merges them.
    if (role == "standby") return " sent";
    if (role == "active") return " received";
  }
  return "";
}

std::string FormatStatus(const json& s) {
  std::string peer = "peer down";
  if (auto p = s.find("peer"); p != s.end() && p->is_object()) {
    if (Text(*p, "state") == "up") {
      // The active tells whether its standby is in sync; a standby whether it is synced.
      std::string sync;
      if (Text(s, "role") == "active") {
        sync = Flag(*p, "in_sync") ? ", in sync" : ", not in sync";
      } else if (Text(s, "role") == "standby") {
        sync = Flag(s, "synced") ? ", this node synced" : ", this node not synced yet";
      }
      std::string peer_sync = Field(*p, "sync");  // "?" from a daemon that predates it
      peer_sync = peer_sync == "idle" || peer_sync == "?" ? "" : ", " + peer_sync;
      peer = fmt::format("peer {} up ({}{}{})", Field(*p, "node_id"), Field(*p, "role"), peer_sync,
                         sync);
    }
  }
  std::string sync = Field(s, "sync");
  if (sync != "idle") {
    if (auto progress = s.find("sync_progress"); progress != s.end() && progress->is_object()) {
      sync += fmt::format(" {}/{} records{}", Field(*progress, "done"), Field(*progress, "total"),
                          Direction(sync, Text(s, "role")));
    }
  }
  std::string line = fmt::format("node {}: {}, {}, sync {}, gvn {}, {} records, digest {}",
                                 Field(s, "node_id"), Field(s, "role"), peer, sync, Field(s, "gvn"),
                                 Field(s, "records"), Field(s, "digest"));
  uint64_t postponed = Count(s, "postponed");
  if (postponed > 0) {
    line += fmt::format(", {} write{} postponed", postponed, postponed == 1 ? "" : "s");
  }
  uint64_t unacked = Count(s, "unacked_bytes");
  if (unacked > 0) line += fmt::format(", {} bytes unacked", unacked);
  if (const json* pools = FieldOf(s, "pools"); pools != nullptr) {
    if (std::string lines = FormatPoolSummary(*pools); !lines.empty()) line += "\n" + lines;
  }
  if (std::string consumers = FormatConsumerSummary(s); !consumers.empty()) {
    line += "\n" + consumers;
  }
  return line;
}

std::string FormatLoad(const json& r) {
  double seconds = Number(r, "seconds");
  uint64_t count = Count(r, "count");
  std::string rate = seconds > 0 ? fmt::format(" ({:.0f} records/s)", count / seconds) : "";
  return fmt::format("loaded {} records in {:.2f} s{}", count, seconds, rate);
}

std::string FormatDigest(const json& r) {
  return fmt::format("digest {}, {} records", Field(r, "digest"), Field(r, "records"));
}

std::string FormatRecord(const json& r) {
  return fmt::format("{}\t{}\t{}", BytesField(r, "table"), BytesField(r, "key"),
                     BytesField(r, "value"));
}

std::string RawValue(const json& r) {
  Result<std::string> value = daemon::GetBytes(r, "value");
  return value.ok() ? value.value() : std::string();
}

}  // namespace hasync::cli
