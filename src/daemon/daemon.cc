#include "daemon/daemon.h"

#include <signal.h>
#include <spdlog/spdlog.h>

#include <asio/io_context.hpp>
#include <asio/signal_set.hpp>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/endpoint.h"
#include "daemon/control_commands.h"
#include "daemon/control_server.h"
#include "daemon/metrics.h"
#include "daemon/metrics_server.h"
#include "daemon/notify.h"
#include "daemon/tls_mode.h"
#include "net/consumer_options.h"
#include "net/consumer_server.h"
#include "net/driver_options.h"
#include "net/node_driver.h"
#include "net/pool_service.h"
#include "net/reconcile_report.h"

namespace hasync::daemon {

namespace {

constexpr std::chrono::milliseconds kGoodbyeTimeout{500};

// The pools' metrics, read at scrape time (Usage re-reads a table that changed: fine at that
// rate).
std::vector<PoolMetrics> ReadPoolMetrics(net::PoolService& pools) {
  std::vector<PoolMetrics> out;
  for (const auto& p : pools.pools()) {
    Result<PoolUsage> usage = pools.Usage(p->options().name);
    if (usage.ok()) out.push_back({p->options().name, *usage, p->counters()});
  }
  return out;
}

}  // namespace

Status RunDaemon(const DaemonConfig& config) {
  Result<net::NodeDriver::Options> options = net::MakeDriverOptions(config.node);
  if (!options.ok()) return options.status();
  Result<ControlOptions> control_options = MakeControlOptions(config);
  if (!control_options.ok()) return control_options.status();
  // Sockets are written with MSG_NOSIGNAL, but a notify script's pipes or a library may not be.
  signal(SIGPIPE, SIG_IGN);

  asio::io_context io;
  net::NodeDriver driver(io, std::move(options).value());
  // A node with neither a peer address nor a peer id owns its pools whole (docs/pools.md).
  net::PoolService pools(io, driver, config.node.node_id, net::PoolPeerId(config.node));
  for (const PoolOptions& pool : config.pools) {
    Status added = pools.Add(pool);
    if (!added.ok()) return added;
  }
  // The consumer port's publisher joins the node before it starts (net/consumer_server.h).
  std::unique_ptr<net::ConsumerServer> consumers;
  if (!config.node.consumers.listen.empty()) {
    Result<net::ConsumerServer::Options> consumer_options = net::MakeConsumerOptions(config.node);
    if (!consumer_options.ok()) return consumer_options.status();
    consumers =
        std::make_unique<net::ConsumerServer>(io, driver, std::move(consumer_options).value());
    consumers->Attach();
  }
  NotifyRunner notify(io, config.notify);
  driver.OnRoleChange([&](const core::RoleChanged& change) {
    notify.RoleChanged(change.to, config.node.node_id, change.reason);
  });
  // The core logs both events; the driver's sentence for each is the notify scripts' reason.
  driver.OnSplitBrain([&](const core::SplitBrainDetected& e) {
    notify.SplitBrainDetected(config.node.node_id, e, net::DescribeSplitBrain(e));
  });
  driver.OnReconcileCompleted([&](const core::ReconcileCompleted& e) {
    if (e.split_brain) notify.SplitBrainResolved(config.node.node_id, e, net::DescribeReconcile(e));
  });

  // The metrics text reads the control server's counters and the control server serves it
  // (the metrics command): filled in once both exist.
  std::function<std::string()> metrics_text;
  ControlCommands commands(
      io, driver, pools, [&metrics_text] { return metrics_text(); }, consumers.get());
  ControlServer control(io, std::move(control_options).value(),
                        [&](std::string_view line, ControlServer::Reply reply) {
                          commands.Handle(line, std::move(reply));
                        });
  metrics_text = [&driver, &control, &pools, &consumers, mode = ModeOf(config.node.tls)] {
    std::optional<ConsumerMetrics> consumer_metrics;
    if (consumers) consumer_metrics = ReadConsumerMetrics(*consumers);
    return FormatMetrics(driver.node().status(), driver.node().counters(), driver.link_counters(),
                         control.counters(), mode, ReadPoolMetrics(pools),
                         consumer_metrics ? &*consumer_metrics : nullptr);
  };
  std::optional<MetricsServer> metrics;
  if (!config.metrics_listen.empty()) {
    metrics.emplace(io, *ParseEndpoint(config.metrics_listen), metrics_text);
  }

  // The control socket first: if another daemon owns it, this one must not join the pair.
  Status started = control.Start();
  if (started.ok() && metrics) started = metrics->Start();
  if (started.ok() && consumers) started = consumers->Start();
  if (started.ok()) started = driver.Start();
  if (!started.ok()) return started;
  pools.Start();
  spdlog::info("hasyncd: node {} (priority {}, cluster '{}') running, sync channel: {}",
               config.node.node_id, config.node.priority, config.node.cluster,
               DescribeSyncChannel(config.node.tls));
  for (const auto& p : pools.pools()) {
    Result<PoolUsage> usage = pools.Usage(p->options().name);
    if (!usage.ok()) continue;
    spdlog::info("pool {}: {} addresses, share {}, this node owns {}", p->options().name,
                 usage->size, ShareRuleName(p->options().share), usage->own_share_size);
  }

  asio::signal_set signals(io, SIGTERM, SIGINT);
  bool stopping = false;
  std::function<void(asio::error_code, int)> on_signal = [&](asio::error_code ec, int signo) {
    if (ec) return;
    if (stopping) {
      spdlog::warn("hasyncd: second signal, stopping now");
      io.stop();
      return;
    }
    stopping = true;
    spdlog::info("hasyncd: signal {}, handing over and stopping", signo);
    control.Stop();
    if (metrics) metrics->Stop();
    // Consumers are cut once the goodbye is out: the peer takes over at once, and they resume
    // there.
    driver.Shutdown(kGoodbyeTimeout, [&] {
      pools.Stop();
      if (consumers) consumers->Stop();
      io.stop();
    });
    signals.async_wait(on_signal);
  };
  signals.async_wait(on_signal);
  io.run();
  spdlog::info("hasyncd: stopped");
  return Status::Ok();
}

}  // namespace hasync::daemon
