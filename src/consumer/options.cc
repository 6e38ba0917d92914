#include "consumer/options.h"

#include <fmt/format.h>

#include <algorithm>

#include "consumer/endpoint.h"

namespace hasync::consumer {

namespace {

Status CheckSubscription(const ConsumerOptions& o) {
  if (o.table.empty() || o.table.size() > store::kTableNameBytesHardCap) {
    return InvalidArgument(fmt::format("table: {} bytes, must be 1..{}", o.table.size(),
                                       store::kTableNameBytesHardCap));
  }
  if (o.prefix.size() > store::kKeyBytesHardCap) {
    return InvalidArgument(
        fmt::format("prefix: {} bytes, at most {}", o.prefix.size(), store::kKeyBytesHardCap));
  }
  bool printable =
      std::all_of(o.name.begin(), o.name.end(), [](char c) { return c >= 0x20 && c <= 0x7e; });
  if (o.name.size() > wire::kMaxConsumerNameBytes || !printable) {
    return InvalidArgument(fmt::format("name: must be printable ASCII of at most {} bytes",
                                       wire::kMaxConsumerNameBytes));
  }
  return Status::Ok();
}

Status CheckTimes(const ConsumerOptions& o) {
  if (o.ping_interval.count() <= 0) return InvalidArgument("ping_interval must be positive");
  if (o.dead_after.count() <= 0) return InvalidArgument("dead_after must be positive");
  if (o.reconnect_delay.count() < 0) return InvalidArgument("reconnect_delay must not be negative");
  return Status::Ok();
}

}  // namespace

Result<std::vector<asio::ip::tcp::endpoint>> CheckOptions(const ConsumerOptions& options) {
  if (Status s = CheckSubscription(options); !s.ok()) return s;
  if (Status s = CheckTimes(options); !s.ok()) return s;
  if (options.endpoints.empty()) return InvalidArgument("endpoints: none given");
  std::vector<asio::ip::tcp::endpoint> endpoints;
  for (const std::string& text : options.endpoints) {
    Result<asio::ip::tcp::endpoint> endpoint = ParseEndpoint(text);
    if (!endpoint.ok()) return InvalidArgument("endpoints: " + endpoint.status().message());
    endpoints.push_back(*endpoint);
  }
  return endpoints;
}

SessionConfig ToSessionConfig(const ConsumerOptions& options) {
  SessionConfig config;
  config.endpoints = options.endpoints.size();
  config.table = options.table;
  config.prefix = options.prefix;
  config.name = options.name;
  config.channel = options.channel;
  config.reconnect_delay = options.reconnect_delay;
  config.ping_interval = options.ping_interval;
  config.dead_after = options.dead_after;
  return config;
}

}  // namespace hasync::consumer
