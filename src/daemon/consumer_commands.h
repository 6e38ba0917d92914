// The consumers control request (docs/operations.md#consumers) and the "consumers" summary of
// the status response, read from the node's net::ConsumerServer at once (no I/O, no wait).
//
//   {"cmd":"consumers"} -> {"ok":true,"listen":"127.0.0.1:7402","ack_mode":"forwarded",
//     "connections":2,"channels":[{"channel":..,"name":..,"table":..,"prefix":..,"phase":"live",
//     "sent_op":..,"acked_op":..,"pending_ops":..,"replays":..,"last_replay":"sections",
//     "last_replay_records":..,"replayed_records":..,"replayed_bytes":..,"away_ms":..}],
//     "counters":{..every field of replay::PublisherCounters, replays by kind..}}
//
// A node without a consumer port answers not_found. Tables and prefixes are bytes, sent as
// encoding.h says ("prefix_base64" when they are not UTF-8).
#pragma once

#include <nlohmann/json.hpp>
#include <string_view>

#include "core/config.h"
#include "net/consumer_server.h"
#include "replay/planner.h"
#include "replay/publisher.h"

namespace hasync::daemon {

// "none", "keys", "sections", "full": the names of the metrics' kind label too.
std::string_view ReplayKindName(replay::ReplayKind kind);

// `server` is null on a node without a consumer port; `now` is the driver's clock (for away_ms).
nlohmann::json ConsumersResponse(const nlohmann::json& id, const net::ConsumerServer* server,
                                 core::TimePoint now);
// {"listen","connections","channels", and a count per phase: "away","live","replaying","behind"}
nlohmann::json ConsumerSummary(const net::ConsumerServer& server);
nlohmann::json ChannelJson(const replay::ChannelInfo& channel, core::TimePoint now);
nlohmann::json ConsumerCountersJson(const replay::PublisherCounters& counters);

}  // namespace hasync::daemon
