// ControlCommands: carries out control requests (control_protocol.h) on the running node.
//
// Reads (status, get, digest, dump, metrics, consumers) are answered at once from the node's
// state. The pool.* commands go to PoolCommands (pool_commands.h); consumers is answered by
// consumer_commands.h.
// Writes go through the driver and are answered when the write is applied, or acknowledged by
// the standby for "replicated": true. A switchover is answered when it completes. `load`
// writes at most kLoadChunk records or for kLoadTurn per io turn, so heartbeats and acks keep
// flowing while it runs (even in a debug build), and pauses while the standby holds more than
// half the unacked-bytes bound, so a load does not by itself force a resync.
#pragma once

#include <asio/io_context.hpp>
#include <chrono>
#include <functional>
#include <string>
#include <string_view>

#include "daemon/control_server.h"
#include "daemon/pool_commands.h"
#include "net/consumer_server.h"
#include "net/node_driver.h"
#include "net/pool_service.h"

namespace hasync::daemon {

class ControlCommands {
 public:
  static constexpr uint64_t kLoadChunk = 4096;
  static constexpr std::chrono::milliseconds kLoadTurn{5};

  using MetricsText = std::function<std::string()>;

  // `io`, `driver`, `pools` (the driver's) and `consumers` (its consumer port, or null for none)
  // must outlive this object. `metrics_text` renders the metrics command's answer (the same
  // text as /metrics).
  ControlCommands(asio::io_context& io, net::NodeDriver& driver, net::PoolService& pools,
                  MetricsText metrics_text, const net::ConsumerServer* consumers = nullptr);

  // A ControlServer::Handler.
  void Handle(std::string_view line, ControlServer::Reply reply);

 private:
  asio::io_context& io_;
  net::NodeDriver& driver_;
  PoolCommands pools_;
  MetricsText metrics_text_;
  const net::ConsumerServer* consumers_;
};

}  // namespace hasync::daemon
