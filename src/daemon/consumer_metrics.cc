#include "daemon/consumer_metrics.h"

#include <fmt/format.h>

#include <iterator>
#include <string_view>
#include <tuple>

#include "daemon/consumer_commands.h"

namespace hasync::daemon {

namespace {

using Counters = replay::PublisherCounters;

struct CounterInfo {
  const char* name;  // hasync_consumer_<name>_total
  const char* help;
  uint64_t Counters::*field;
};

// Every scalar counter of the publisher; replays (by kind) and the failover gauges are printed
// on their own (checked below).
constexpr std::array<CounterInfo, 14> kCounters = {{
    {"connections_accepted", "Connections the consumer port took.", &Counters::connections},
    {"hellos_refused",
     "Subscriptions refused: this node is not active, the subscription is invalid or does not "
     "match its channel, or max_channels.",
     &Counters::refused},
    {"protocol_errors", "Consumer connections closed for input that breaks the protocol.",
     &Counters::protocol_errors},
    {"silent", "Consumer connections cut: no hello, or nothing received, within 3 s.",
     &Counters::silent},
    {"ops", "Ops made: one per channel whose records a turn changed.", &Counters::ops},
    {"updates", "Updates sent to consumers (fragments counted).", &Counters::updates_sent},
    {"records_sent", "Records sent to consumers in live updates.", &Counters::records_sent},
    {"resumes", "Consumers that resumed a channel (after a failover or a reconnection).",
     &Counters::resumes},
    {"resumes_in_sync", "Resumes that needed no replay: the consumer had everything.",
     &Counters::resumes_in_sync},
    {"replayed_records", "Records sent in replays.", &Counters::replayed_records},
    {"replayed_bytes", "Key and value bytes sent in replays.", &Counters::replayed_bytes},
    {"full_resend_records",
     "Records full replays in place of the same replays would have sent (compare with "
     "replayed_records; resumes in sync count nothing).",
     &Counters::full_resend_records},
    {"behind", "Times a consumer's queue filled window_bytes (it then gets a catch-up replay).",
     &Counters::behind},
    {"dropped", "Channels dropped after their consumer stayed away for the timeout.",
     &Counters::dropped},
}};

constexpr size_t kReplayKinds = 4;  // Counters::replays, by ReplayKind (kNone unused)
constexpr size_t kFailoverGauges = 3;
static_assert(kCounters.size() + kReplayKinds + kFailoverGauges ==
                  sizeof(Counters) / sizeof(uint64_t),
              "a PublisherCounters field is missing from the consumer metrics");
static_assert(sizeof(net::ConsumerPortCounters) == 3 * sizeof(uint64_t),
              "a ConsumerPortCounters field is missing from the consumer metrics");

void Family(std::string& out, std::string_view name, std::string_view type, std::string_view help) {
  fmt::format_to(std::back_inserter(out),
                 "# HELP hasync_consumer_{0} {1}\n# TYPE hasync_consumer_{0} {2}\n", name, help,
                 type);
}

void GaugeFamilies(std::string& out, const ConsumerMetrics& m) {
  auto it = std::back_inserter(out);
  Family(out, "channels", "gauge",
         "Channels (subscriptions) this node knows, by phase: away (no consumer connected, or "
         "this node is standby), live, replaying, behind (its queue filled).");
  for (replay::ChannelPhase phase :
       {replay::ChannelPhase::kAway, replay::ChannelPhase::kLive, replay::ChannelPhase::kReplaying,
        replay::ChannelPhase::kBehind}) {
    fmt::format_to(it, "hasync_consumer_channels{{phase=\"{}\"}} {}\n", replay::PhaseName(phase),
                   m.channels_by_phase[static_cast<size_t>(phase)]);
  }
  Family(out, "connections", "gauge", "Open connections on the consumer port.");
  fmt::format_to(it, "hasync_consumer_connections {}\n", m.connections);
  const Counters& c = m.counters;
  for (auto [name, help, value] : {
           std::tuple{"failover_replayed_records",
                      "Records replayed to consumers since this node last became active.",
                      c.failover_replayed_records},
           std::tuple{"failover_replayed_bytes",
                      "Key and value bytes replayed since this node last became active.",
                      c.failover_replayed_bytes},
           std::tuple{"failover_full_resend_records",
                      "Records full replays in place of the replays since this node last became "
                      "active would have sent.",
                      c.failover_full_resend_records},
       }) {
    Family(out, name, "gauge", help);
    fmt::format_to(it, "hasync_consumer_{} {}\n", name, value);
  }
}

void CounterFamilies(std::string& out, const ConsumerMetrics& m) {
  auto it = std::back_inserter(out);
  for (const CounterInfo& info : kCounters) {
    Family(out, fmt::format("{}_total", info.name), "counter", info.help);
    fmt::format_to(it, "hasync_consumer_{}_total {}\n", info.name, m.counters.*info.field);
  }
  Family(out, "replays_total", "counter",
         "Replays sent to consumers, by kind: keys (the missed ops' keys), sections (whole "
         "sections), full (everything subscribed).");
  for (replay::ReplayKind kind :
       {replay::ReplayKind::kKeys, replay::ReplayKind::kSections, replay::ReplayKind::kFull}) {
    fmt::format_to(it, "hasync_consumer_replays_total{{kind=\"{}\"}} {}\n", ReplayKindName(kind),
                   m.counters.replays[static_cast<size_t>(kind)]);
  }
  Family(out, "connections_refused_total", "counter",
         "Connections the consumer port closed at once, by reason: rate_limited (over "
         "max_connections_per_second), busy (max_connections open).");
  fmt::format_to(it, "hasync_consumer_connections_refused_total{{reason=\"rate_limited\"}} {}\n",
                 m.port.rate_limited);
  fmt::format_to(it, "hasync_consumer_connections_refused_total{{reason=\"busy\"}} {}\n",
                 m.port.busy);
  Family(out, "queue_overflows_total", "counter",
         "Consumer connections closed because their write queue passed its backstop bound.");
  fmt::format_to(it, "hasync_consumer_queue_overflows_total {}\n", m.port.overflowed);
}

}  // namespace

ConsumerMetrics ReadConsumerMetrics(const net::ConsumerServer& server) {
  ConsumerMetrics m;
  m.counters = server.publisher().counters();
  m.port = server.counters();
  m.connections = server.connections();
  for (const replay::ChannelInfo& c : server.publisher().Channels()) {
    ++m.channels_by_phase[static_cast<size_t>(c.phase) % m.channels_by_phase.size()];
  }
  return m;
}

void ConsumerMetricsText(std::string& out, const ConsumerMetrics& m) {
  GaugeFamilies(out, m);
  CounterFamilies(out, m);
}

}  // namespace hasync::daemon
