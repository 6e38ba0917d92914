// DaemonConfig: everything hasyncd is told, from its TOML file and its command-line flags.
//
// The file is parsed strictly: an unknown section or key, a value of the wrong type or out of
// range is an error naming file:line:column, because a typo in an HA config ("prempt = true")
// would otherwise be found only during the failure it was meant to handle. Flags override the
// file; the result is checked once, by the same rules as the embedding API (net::
// MakeDriverOptions), with messages that say what to set. etc/hasyncd.toml documents every key.
//
// The sync channel's security ([tls]) and the TCP control endpoint are set in the file only,
// never by a flag: a node that runs unauthenticated must say so where its configuration is
// reviewed. So are the address pools ([[pool]], one table each): both nodes must configure
// them alike, so they belong in the file that is reviewed and copied, not on a command line.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "daemon/control_options.h"
#include "hasync/node.h"
#include "hasync/pool.h"
#include "hasync/status.h"

namespace hasync::daemon {

// The consumer port's address when [consumers] is written without `listen`: loopback, since
// the port is not authenticated. Without the section the node has no consumer port.
inline constexpr std::string_view kDefaultConsumerListen = "127.0.0.1:7402";

// A command to run on role changes: argv[0] is the program, the rest its first arguments.
using Command = std::vector<std::string>;

struct NotifyConfig {
  Command on_active;       // notify_active
  Command on_standby;      // notify_standby
  Command on_any;          // notify: every role change, split-brain detected and resolved
  Command on_split_brain;  // notify_split_brain
};

struct DaemonConfig {
  ReplicaOptions node;  // [node], [sync], [limits], [tls], [consumers]
  // [control] as written: its tls_* keys are empty unless set (MakeControlOptions fills them
  // in from [tls]).
  ControlOptions control;
  NotifyConfig notify;
  // [[pool]], in file order. Each was checked by building the pool (its ranges parse, do not
  // overlap, leave addresses), and the names are unique.
  std::vector<PoolOptions> pools;
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
// The checks that need the whole picture (after the overrides): addresses, ids, limits, a TLS
// mode chosen for the sync channel, certificates for a TCP control endpoint, limits that leave
// room for the pools' lease records. Reads no file.
Status Validate(const DaemonConfig& config);
// The control endpoints' settings as the server uses them: the TCP endpoint's certificate, key
// and CA default to [tls]'s. kInvalidArgument if tcp_listen is set without all three.
Result<ControlOptions> MakeControlOptions(const DaemonConfig& config);
// What --check-config adds to Validate: loads the certificates, keys, CAs and pre-shared key the
// configuration names, and looks up the control socket's owner and group, so that a missing or
// mismatched file is reported before the daemon starts.
Status CheckFiles(const DaemonConfig& config);

}  // namespace hasync::daemon
