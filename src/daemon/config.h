// DaemonConfig: everything hasyncd is told, from its TOML file and its command-line flags.
//
// The file is parsed strictly: an unknown section or key, a value of the wrong type or out of
// range is an error naming file:line:column, because a typo in an HA config ("prempt = true")
// would otherwise be found only during the failure it was meant to handle. Flags override the
// file; the result is checked once, by the same rules as the embedding API (net::
// MakeDriverOptions). etc/hasyncd.toml documents every key.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "hasync/node.h"
#include "hasync/status.h"

namespace hasync::daemon {

// A command to run on role changes: argv[0] is the program, the rest its first arguments.
using Command = std::vector<std::string>;

struct NotifyConfig {
  Command on_active;       // notify_active
  Command on_standby;      // notify_standby
  Command on_any;          // notify: every role change, split-brain detected and resolved
  Command on_split_brain;  // notify_split_brain
};

struct DaemonConfig {
  ReplicaOptions node;  // [node], [sync], [limits]
  std::string control_socket = "/run/hasync/hasyncd.sock";
  uint32_t control_mode = 0600;
  NotifyConfig notify;
  std::string metrics_listen;  // host:port; empty = no metrics endpoint
  std::string log_level = "info";
};

// Command-line flags; a set value replaces the file's.
struct Overrides {
  std::optional<NodeId> node_id;
  std::optional<NodeId> peer_id;
  std::optional<uint8_t> priority;
  std::optional<std::string> cluster;
  std::optional<bool> preempt;
  std::optional<std::string> listen;
  std::optional<std::string> peer;
  std::optional<std::string> control;
  std::optional<uint64_t> bulk_rate;
  std::optional<uint64_t> reconcile_rate;
  std::optional<std::string> metrics_listen;
  std::optional<std::string> log_level;
};

// Parses TOML text; `source` names it in error messages ("hasyncd.toml:12:5: ...").
Result<DaemonConfig> ParseConfig(std::string_view text, std::string_view source);
Result<DaemonConfig> LoadConfigFile(const std::string& path);
void ApplyOverrides(const Overrides& overrides, DaemonConfig* config);
// The checks that need the whole picture (after the overrides): addresses, ids, limits.
Status Validate(const DaemonConfig& config);

}  // namespace hasync::daemon
