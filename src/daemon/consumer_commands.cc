#include "daemon/consumer_commands.h"

#include <chrono>
#include <string>
#include <vector>

#include "common/endpoint.h"
#include "daemon/control_protocol.h"
#include "daemon/encoding.h"

namespace hasync::daemon {

namespace {

using nlohmann::json;

constexpr replay::ChannelPhase kPhases[] = {
    replay::ChannelPhase::kAway, replay::ChannelPhase::kLive, replay::ChannelPhase::kReplaying,
    replay::ChannelPhase::kBehind};

uint64_t Millis(core::Duration d) {
  return d.count() <= 0 ? 0
                        : static_cast<uint64_t>(
                              std::chrono::duration_cast<std::chrono::milliseconds>(d).count());
}

}  // namespace

std::string_view ReplayKindName(replay::ReplayKind kind) {
  switch (kind) {
    case replay::ReplayKind::kNone:
      return "none";
    case replay::ReplayKind::kKeys:
      return "keys";
    case replay::ReplayKind::kSections:
      return "sections";
    case replay::ReplayKind::kFull:
      return "full";
  }
  return "none";
}

json ChannelJson(const replay::ChannelInfo& c, core::TimePoint now) {
  json j = {{"channel", c.channel},
            {"name", c.name},
            {"phase", replay::PhaseName(c.phase)},
            {"sent_op", c.sent_op},
            {"acked_op", c.acked_op},
            {"pending_ops", c.pending_ops},
            {"replays", c.replays},
            {"last_replay", ReplayKindName(c.last_replay)},
            {"last_replay_records", c.last_replay_records},
            {"replayed_records", c.replayed_records},
            {"replayed_bytes", c.replayed_bytes}};
  SetBytes(j, "table", c.table);
  SetBytes(j, "prefix", c.prefix);
  if (c.phase == replay::ChannelPhase::kAway) j["away_ms"] = Millis(now - c.away_since);
  return j;
}

json ConsumerCountersJson(const replay::PublisherCounters& c) {
  json replays = json::object();
  for (replay::ReplayKind kind :
       {replay::ReplayKind::kKeys, replay::ReplayKind::kSections, replay::ReplayKind::kFull}) {
    replays[std::string(ReplayKindName(kind))] = c.replays[static_cast<size_t>(kind)];
  }
  return json{{"connections", c.connections},
              {"refused", c.refused},
              {"protocol_errors", c.protocol_errors},
              {"silent", c.silent},
              {"ops", c.ops},
              {"updates_sent", c.updates_sent},
              {"records_sent", c.records_sent},
              {"resumes", c.resumes},
              {"resumes_in_sync", c.resumes_in_sync},
              {"replays", std::move(replays)},
              {"replayed_records", c.replayed_records},
              {"replayed_bytes", c.replayed_bytes},
              {"full_resend_records", c.full_resend_records},
              {"behind", c.behind},
              {"dropped", c.dropped},
              {"failover_replayed_records", c.failover_replayed_records},
              {"failover_replayed_bytes", c.failover_replayed_bytes},
              {"failover_full_resend_records", c.failover_full_resend_records}};
}

json ConsumerSummary(const net::ConsumerServer& server) {
  std::vector<replay::ChannelInfo> channels = server.publisher().Channels();
  json j = {{"listen", FormatEndpoint(server.local_endpoint())},
            {"connections", server.connections()},
            {"channels", channels.size()}};
  for (replay::ChannelPhase phase : kPhases) {
    size_t n = 0;
    for (const replay::ChannelInfo& c : channels) n += c.phase == phase ? 1 : 0;
    j[std::string(replay::PhaseName(phase))] = n;
  }
  return j;
}

json ConsumersResponse(const json& id, const net::ConsumerServer* server, core::TimePoint now) {
  if (server == nullptr) {
    return ErrorResponse(
        id, NotFound("this node has no consumer port (add a [consumers] section to its config)"));
  }
  const replay::Publisher& publisher = server->publisher();
  json r = OkResponse(id);
  r["listen"] = FormatEndpoint(server->local_endpoint());
  r["ack_mode"] = publisher.config().ack_mode == wire::AckMode::kDirect ? "direct" : "forwarded";
  r["connections"] = server->connections();
  json channels = json::array();
  for (const replay::ChannelInfo& c : publisher.Channels()) channels.push_back(ChannelJson(c, now));
  r["channels"] = std::move(channels);
  r["counters"] = ConsumerCountersJson(publisher.counters());
  return r;
}

}  // namespace hasync::daemon
