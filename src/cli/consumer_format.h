// Human-readable answers of hasyncctl consumers (--json prints the daemon's JSON instead), and
// the consumers line of hasyncctl status. Like format.h, fields are read with json_fields.h: a
// missing or mistyped one prints as "?" or 0, never fails.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

namespace hasync::cli {

// One channel: "0x1000000000001  lc-1  nat  10.  live  1234  1230  4  1  sections (312 records)"
// in the columns of FormatConsumers (the id in hex, as consumers log it); an away channel says
// for how long ("away 12s").
std::string FormatChannel(const nlohmann::json& channel);
// The whole answer: a heading line (port, ack mode, channels, connections), the channel table
// ("no channels" for none), then the totals and what replays cost against full resends,
// overall and since this node last became active.
std::string FormatConsumers(const nlohmann::json& response);
// The "consumers" object of a status answer: "consumers on 127.0.0.1:7402: 3 channels (2 live,
// 1 away), 2 connections"; "" when the node has no consumer port (no such object).
std::string FormatConsumerSummary(const nlohmann::json& status);

}  // namespace hasync::cli
