// The hasync_consumer_* metrics (docs/operations.md#consumers), on a node with a consumer port:
// channels by phase and open connections as gauges; every field of replay::PublisherCounters
// and net::ConsumerPortCounters as a counter (replays labelled by kind: keys, sections, full),
// except the three failover_* fields, which are gauges: what the last failover cost, reset
// when this node becomes active again.
#pragma once

#include <array>
#include <cstdint>
#include <string>

#include "net/consumer_server.h"
#include "replay/publisher.h"

namespace hasync::daemon {

struct ConsumerMetrics {
  replay::PublisherCounters counters;
  net::ConsumerPortCounters port;
  uint64_t connections = 0;
  std::array<uint64_t, 4> channels_by_phase{};  // indexed by replay::ChannelPhase
};

ConsumerMetrics ReadConsumerMetrics(const net::ConsumerServer& server);
// Appends the families, each with its HELP and TYPE, to `out`.
void ConsumerMetricsText(std::string& out, const ConsumerMetrics& metrics);

}  // namespace hasync::daemon
