// hasyncd: replicates session records between the two nodes of an HA pair.
//
//   hasyncd --config /etc/hasync/hasyncd.toml [--node-id N] [--peer 10.0.0.2:7400] ...
//
// Exit status: 0 after a clean stop, 1 if it could not start (address in use, control socket
// owned by another daemon), 2 for a usage or configuration error.
#include <fmt/format.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>

#include "daemon/config.h"
#include "daemon/daemon.h"

namespace {

void SetUpLogging(const hasync::daemon::DaemonConfig& config) {
  auto logger = spdlog::stderr_logger_mt("hasyncd");
  // journald adds its own timestamps, but a terminal running two nodes needs both.
  logger->set_pattern(fmt::format("%Y-%m-%d %H:%M:%S.%e node{} %^%l%$: %v", config.node.node_id));
  logger->set_level(spdlog::level::from_str(config.log_level));
  logger->flush_on(spdlog::level::info);
  spdlog::set_default_logger(logger);
}

}  // namespace

int Run(int argc, char** argv) {
  using hasync::daemon::Overrides;
  CLI::App app("hasyncd: active/standby replication of session records", "hasyncd");
  std::string config_path;
  Overrides o;
  uint16_t node_id = 0, peer_id = 0;
  unsigned priority = 0;
  uint64_t bulk_rate = 0, reconcile_rate = 0;
  std::string cluster, listen, peer, control, metrics, log_level;
  app.add_option("-c,--config", config_path, "TOML configuration file")->check(CLI::ExistingFile);
  auto* node_opt = app.add_option("--node-id", node_id, "this node's id, 1..65535");
  auto* peer_id_opt = app.add_option("--peer-id", peer_id, "the peer's id (decides who dials)");
  auto* priority_opt = app.add_option("--priority", priority, "0..255; higher becomes active")
                           ->check(CLI::Range(0, 255));
  auto* cluster_opt = app.add_option("--cluster", cluster, "cluster name; both nodes must match");
  bool preempt = false, no_preempt = false;
  app.add_flag("--preempt", preempt, "take the active role back from a lower priority");
  app.add_flag("--no-preempt", no_preempt, "never take the active role back");
  auto* listen_opt = app.add_option("--listen", listen, "sync address, ip:port");
  auto* peer_opt = app.add_option("--peer", peer, "the peer's sync address, ip:port");
  auto* control_opt = app.add_option("--control", control, "control socket path");
  auto* bulk_opt = app.add_option("--bulk-rate", bulk_rate, "bulk sync records/s, 0 = unlimited");
  auto* reconcile_opt = app.add_option("--reconcile-rate", reconcile_rate,
                                       "records/s a reconciliation sends, 0 = unlimited");
  auto* metrics_opt = app.add_option("--metrics", metrics, "serve /metrics on ip:port");
  auto* log_opt = app.add_option("--log-level", log_level, "trace|debug|info|warn|error");
  bool check_only = false;
  app.add_flag("--check-config", check_only, "check the configuration and exit");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int code = app.exit(e);
    return code == 0 ? 0 : 2;
  }
  if (*node_opt) o.node_id = node_id;
  if (*peer_id_opt) o.peer_id = peer_id;
  if (*priority_opt) o.priority = static_cast<uint8_t>(priority);
  if (*cluster_opt) o.cluster = cluster;
  if (preempt) o.preempt = true;
  if (no_preempt) o.preempt = false;
  if (*listen_opt) o.listen = listen;
  if (*peer_opt) o.peer = peer;
  if (*control_opt) o.control = control;
  if (*bulk_opt) o.bulk_rate = bulk_rate;
  if (*reconcile_opt) o.reconcile_rate = reconcile_rate;
  if (*metrics_opt) o.metrics_listen = metrics;
  if (*log_opt) o.log_level = log_level;

  hasync::Result<hasync::daemon::DaemonConfig> loaded =
      config_path.empty()
          ? hasync::Result<hasync::daemon::DaemonConfig>(hasync::daemon::DaemonConfig())
          : hasync::daemon::LoadConfigFile(config_path);
  if (!loaded.ok()) {
    fmt::print(stderr, "hasyncd: {}\n", loaded.status().message());
    return 2;
  }
  hasync::daemon::DaemonConfig config = std::move(loaded).value();
  hasync::daemon::ApplyOverrides(o, &config);
  hasync::Status valid = hasync::daemon::Validate(config);
  if (!valid.ok()) {
    fmt::print(stderr, "hasyncd: {}{}{}\n", config_path.empty() ? "" : config_path + ": ",
               valid.message(),
               config_path.empty() ? " (the sync channel's security is set in a config file "
                                     "only: start with --config)"
                                   : "");
    return 2;
  }
  if (check_only) {
    // The files the configuration names (certificates, keys, the PSK) and the socket's owner
    // are checked here, so that the unit's ExecStartPre catches them.
    hasync::Status files = hasync::daemon::CheckFiles(config);
    if (!files.ok()) {
      fmt::print(stderr, "hasyncd: {}{}\n", config_path.empty() ? "" : config_path + ": ",
                 files.message());
      return 2;
    }
    fmt::print("hasyncd: configuration ok\n");
    return 0;
  }
  SetUpLogging(config);
  hasync::Status ran = hasync::daemon::RunDaemon(config);
  if (!ran.ok()) {
    spdlog::critical("{}", ran.message());
    return 1;
  }
  return 0;
}

int main(int argc, char** argv) {
  try {
    return Run(argc, argv);
  } catch (const std::exception& e) {
    // Only allocation failure or a library bug gets here: say so instead of aborting silently.
    fmt::print(stderr, "hasyncd: fatal: {}\n", e.what());
    return 1;
  }
}
