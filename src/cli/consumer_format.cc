#include "cli/consumer_format.h"

#include <fmt/format.h>

#include <string_view>

#include "cli/json_fields.h"
#include "cli/pool_format.h"

namespace hasync::cli {

namespace {

using nlohmann::json;

constexpr std::string_view kColumns =
    "{:<20} {:<16} {:<12} {:<10} {:<10} {:>10} {:>10} {:>8} {:>8}  {}";

// A byte field of the daemon's (encoding.h): as text, or "base64:..." when it is not UTF-8.
std::string Bytes(const json& j, const char* name) {
  if (const json* f = FieldOf(j, name); f != nullptr && f->is_string())
    return f->get<std::string>();
  std::string encoded = Text(j, (std::string(name) + "_base64").c_str());
  return encoded.empty() ? std::string() : "base64:" + encoded;
}

std::string Phase(const json& channel) {
  std::string phase = Text(channel, "phase", "?");
  if (phase == "away" && FieldOf(channel, "away_ms") != nullptr) {
    phase += " " + FormatDuration(Count(channel, "away_ms"));
  }
  return phase;
}

std::string LastReplay(const json& channel) {
  std::string kind = Text(channel, "last_replay", "none");
  if (kind == "none") return "-";
  uint64_t records = Count(channel, "last_replay_records");
  return fmt::format("{} ({} record{})", kind, records, records == 1 ? "" : "s");
}

// "replayed 312 records, 40960 bytes (a full resend: 10000 records)"
std::string Replayed(uint64_t records, uint64_t bytes, uint64_t full) {
  return fmt::format("replayed {} records, {} bytes (a full resend: {} records)", records, bytes,
                     full);
}

std::string Totals(const json& c) {
  json replays = Object(c, "replays");
  std::string lines = fmt::format(
      "ops {}, updates {}, records sent {}; resumes {} ({} in sync); replays: keys {}, sections "
      "{}, full {}",
      Count(c, "ops"), Count(c, "updates_sent"), Count(c, "records_sent"), Count(c, "resumes"),
      Count(c, "resumes_in_sync"), Count(replays, "keys"), Count(replays, "sections"),
      Count(replays, "full"));
  lines += fmt::format("\n{}; behind {}, dropped {}, refused {}, silent {}, protocol errors {}",
                       Replayed(Count(c, "replayed_records"), Count(c, "replayed_bytes"),
                                Count(c, "full_resend_records")),
                       Count(c, "behind"), Count(c, "dropped"), Count(c, "refused"),
                       Count(c, "silent"), Count(c, "protocol_errors"));
  lines += "\nsince this node became active: " + Replayed(Count(c, "failover_replayed_records"),
                                                          Count(c, "failover_replayed_bytes"),
                                                          Count(c, "failover_full_resend_records"));
  return lines;
}

}  // namespace

std::string FormatChannel(const json& c) {
  std::string name = Text(c, "name");  // a standby knows channels, not their consumers' names
  // In hex like the consumers' own log lines, where the top 16 bits (the node that made the
  // channel) stand out.
  return fmt::format(fmt::runtime(kColumns), fmt::format("{:#x}", Count(c, "channel")),
                     name.empty() ? "-" : name, Bytes(c, "table"), Bytes(c, "prefix"), Phase(c),
                     Count(c, "sent_op"), Count(c, "acked_op"), Count(c, "pending_ops"),
                     Count(c, "replays"), LastReplay(c));
}

std::string FormatConsumers(const json& r) {
  const json* channels = FieldOf(r, "channels");
  size_t count = channels != nullptr && channels->is_array() ? channels->size() : 0;
  std::string out =
      fmt::format("consumers on {} (ack mode {}): {} channel{}, {} connection{}",
                  Text(r, "listen", "?"), Text(r, "ack_mode", "?"), count, count == 1 ? "" : "s",
                  Count(r, "connections"), Count(r, "connections") == 1 ? "" : "s");
  if (count == 0) {
    out += "\nno channels";
  } else {
    out += "\n" + fmt::format(fmt::runtime(kColumns), "CHANNEL", "NAME", "TABLE", "PREFIX", "PHASE",
                              "SENT", "ACKED", "PENDING", "REPLAYS", "LAST REPLAY");
    for (const json& c : *channels) out += "\n" + FormatChannel(c);
  }
  return out + "\n" + Totals(Object(r, "counters"));
}

std::string FormatConsumerSummary(const json& status) {
  const json* c = FieldOf(status, "consumers");
  if (c == nullptr || !c->is_object()) return "";
  std::string phases;
  for (const char* phase : {"live", "replaying", "behind", "away"}) {
    if (uint64_t n = Count(*c, phase); n > 0) {
      phases += fmt::format("{}{} {}", phases.empty() ? "" : ", ", n, phase);
    }
  }
  uint64_t channels = Count(*c, "channels");
  uint64_t connections = Count(*c, "connections");
  return fmt::format("consumers on {}: {} channel{}{}, {} connection{}", Text(*c, "listen", "?"),
                     channels, channels == 1 ? "" : "s", phases.empty() ? "" : " (" + phases + ")",
                     connections, connections == 1 ? "" : "s");
}

}  // namespace hasync::cli
