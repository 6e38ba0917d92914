#include "net/consumer_options.h"

#include <fmt/format.h>

#include <array>

#include "common/endpoint.h"
#include "wire/consumer_messages.h"

namespace hasync::net {

namespace {

// ChannelState: 33 fixed bytes, the table and prefix at their longest, the count, the entries.
static_assert(33 + 2 + 255 + 2 + 65535 + 4 + size_t{32} * kMaxConsumerPendingOps < (4u << 20),
              "a channel's state at max_pending_ops must fit the smallest frame limit");

// The backstop above the publisher's own bound (window_bytes plus one replay).
constexpr size_t kQueueSlackBytes = size_t{1} << 30;

struct Range {
  const char* name;
  uint64_t value;
  uint64_t min;
  uint64_t max;
};

Status CheckRanges(const ConsumerPortOptions& c) {
  auto ms = [](std::chrono::milliseconds d) { return static_cast<uint64_t>(d.count()); };
  // Negative durations wrap to huge values and are refused by their maximum.
  const std::array<Range, 13> ranges = {{
      {"ack_interval", ms(c.ack_interval), 1, 60'000},
      {"timeout", ms(c.timeout), 1, uint64_t{24} * 3600 * 1000},
      {"max_channels", c.max_channels, 1, 1u << 20},
      {"max_connections", c.max_connections, 1, 65536},
      {"max_connections_per_second", c.max_connections_per_second, 1, 100000},
      {"max_pending_ops", c.max_pending_ops, 1, kMaxConsumerPendingOps},
      {"replay_keys_max", c.replay_keys_max, 0, 1u << 20},
      {"full_replay_ops", c.full_replay_ops, 1, UINT32_MAX},
      {"full_replay_sections", c.full_replay_sections, 1, wire::kSectionCount},
      {"window_bytes", c.window_bytes, 64u << 10, 1u << 30},
      {"max_concurrent_replays", c.max_concurrent_replays, 1, 4096},
      {"replay_slice_records", c.replay_slice_records, 1, 1u << 24},
      {"ack_mode", static_cast<uint64_t>(c.ack_mode), 0, 1},
  }};
  for (const Range& r : ranges) {
    if (r.value < r.min || r.value > r.max) {
      return InvalidArgument(fmt::format("consumers.{}: must be {}..{}", r.name, r.min, r.max));
    }
  }
  return Status::Ok();
}

}  // namespace

Status CheckConsumerOptions(const ReplicaOptions& options) {
  Status ranges = CheckRanges(options.consumers);
  if (!ranges.ok() || options.consumers.listen.empty()) return ranges;
  Result<asio::ip::tcp::endpoint> listen = ParseEndpoint(options.consumers.listen);
  if (!listen.ok()) return InvalidArgument("consumers.listen: " + listen.status().message());
  return Status::Ok();
}

Result<ConsumerServer::Options> MakeConsumerOptions(const ReplicaOptions& options) {
  const ConsumerPortOptions& c = options.consumers;
  if (c.listen.empty()) return InvalidArgument("consumers.listen: not set");
  Status checked = CheckConsumerOptions(options);
  if (!checked.ok()) return checked;
  ConsumerServer::Options o;
  o.listen = *ParseEndpoint(c.listen);
  o.max_connections_per_second = c.max_connections_per_second;
  o.max_queue_bytes = c.window_bytes + kQueueSlackBytes;
  replay::PublisherConfig& p = o.publisher;
  p.ack_mode =
      c.ack_mode == ConsumerAckMode::kDirect ? wire::AckMode::kDirect : wire::AckMode::kForwarded;
  p.ack_interval = c.ack_interval;
  p.consumer_timeout = c.timeout;
  p.max_channels = c.max_channels;
  p.max_connections = c.max_connections;
  p.max_pending_ops = c.max_pending_ops;
  p.window_bytes = c.window_bytes;
  p.max_concurrent_replays = c.max_concurrent_replays;
  p.replay_slice_records = c.replay_slice_records;
  p.policy.keys_max = c.replay_keys_max;
  p.policy.full_after_ops = c.full_replay_ops;
  p.policy.full_after_sections = c.full_replay_sections;
  return o;  // the publisher takes its decoders' limits from the node's store when attached
}

}  // namespace hasync::net
