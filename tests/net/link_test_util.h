// Helpers for the sync link's tests: node options per security mode, running a shared
// io_context until something holds, and capturing what the link logs.
#pragma once

#include <spdlog/sinks/ringbuffer_sink.h>
#include <spdlog/spdlog.h>

#include <array>
#include <asio/io_context.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "net/node_driver.h"
#include "tls/test_certs.h"

namespace hasync::net::testing {

using hasync::testing::TestCert;

// Node `id` on 127.0.0.1 (an ephemeral port), no security mode chosen yet; a short
// startup_wait, and heartbeats slow enough that a busy machine does not drop a pair meanwhile
// (these tests count connections).
inline NodeDriver::Options NodeOptions(NodeId id, uint8_t priority) {
  NodeDriver::Options o;
  o.core.node_id = id;
  o.core.priority = priority;
  o.core.startup_wait = std::chrono::milliseconds(100);
  o.core.heartbeat_interval = std::chrono::milliseconds(500);
  o.link.listen = {asio::ip::make_address("127.0.0.1"), 0};
  return o;
}

// Certificate mode: `cert` from the test directory ("node1", "other-ca/node1"), trusting the lab
// CA, expecting the peer to be `peer`.
inline void UseCertificates(NodeDriver::Options& o, const std::string& cert,
                            const std::string& peer) {
  o.link.tls.certificate = TestCert(cert + ".crt");
  o.link.tls.private_key = TestCert(cert + ".key");
  o.link.tls.ca = TestCert("ca.crt");
  o.link.tls.peer_name = peer;
}

inline void UsePsk(NodeDriver::Options& o, const std::string& file = TestCert("psk.key")) {
  o.link.tls.psk_file = file;
}

// Runs `io` until `done` holds or `limit` passes; false on the limit.
inline bool RunUntil(asio::io_context& io, const std::function<bool()>& done,
                     std::chrono::milliseconds limit) {
  auto deadline = std::chrono::steady_clock::now() + limit;
  while (!done()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    if (io.stopped()) io.restart();
    io.run_for(std::chrono::milliseconds(2));
  }
  return true;
}

// Whether the other end has closed `socket` (it reads EOF or a reset); never blocks.
inline bool ClosedByPeer(asio::ip::tcp::socket& socket) {
  socket.non_blocking(true);
  std::array<char, 64> buffer;
  asio::error_code ec;
  while (!ec) socket.read_some(asio::buffer(buffer), ec);
  return ec != asio::error::would_block;
}

// While it lives, spdlog's default logger writes (info and up) here instead.
class LogCapture {
 public:
  LogCapture()
      : sink_(std::make_shared<spdlog::sinks::ringbuffer_sink_mt>(100000)),
        previous_(spdlog::default_logger()) {
    auto logger = std::make_shared<spdlog::logger>("capture", sink_);
    logger->set_level(spdlog::level::info);
    sink_->set_pattern("%l %v");
    spdlog::set_default_logger(logger);
  }
  ~LogCapture() { spdlog::set_default_logger(previous_); }
  LogCapture(const LogCapture&) = delete;
  LogCapture& operator=(const LogCapture&) = delete;

  // Lines ("warning sync: ...") that contain every one of `parts`.
  size_t Count(std::initializer_list<std::string_view> parts) const {
    size_t n = 0;
    for (const std::string& line : sink_->last_formatted()) {
      bool all = true;
      for (std::string_view part : parts) all = all && line.find(part) != std::string::npos;
      n += all ? 1 : 0;
    }
    return n;
  }
  bool Has(std::initializer_list<std::string_view> parts) const { return Count(parts) > 0; }
  std::string Text() const {
    std::string text;
    for (const std::string& line : sink_->last_formatted()) text += line;
    return text;
  }

 private:
  std::shared_ptr<spdlog::sinks::ringbuffer_sink_mt> sink_;
  std::shared_ptr<spdlog::logger> previous_;
};

}  // namespace hasync::net::testing
