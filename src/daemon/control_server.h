// ControlServer: the endpoints hasyncctl talks to: a unix socket, and optionally a TCP port
// with TLS 1.3 and client certificates. Each accepted connection is a ControlSession (the
// framing, shared by both); the server decides who gets one.
//
// Guarantees:
//  - the socket file is created with the configured mode (0600 by default: whoever can write
//    to it can change the replicated state), atomically, by binding under a restrictive umask,
//    then handed to the configured owner and group (a name that does not exist is an error);
//  - a stale socket file left by a crashed daemon is removed at start, but a live one (another
//    hasyncd answers on it) is an error, as is a path that exists and is not a socket;
//  - the TCP endpoint serves only clients whose certificate chains to the configured CA and,
//    when allowed_clients is set, names one of them; a failed handshake is logged with the
//    address and the reason, and counted;
//  - bounded: at most max_connections sessions at once (unix and TCP together; more get an
//    unavailable error line and are closed); on TCP at most kTcpConnectionsPerSecond new
//    connections a second and kMaxPendingHandshakes handshakes at once, each within
//    kHandshakeTimeout (more are closed before any TLS work), so a client that has not
//    authenticated never holds a session slot.
#pragma once

#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/local/stream_protocol.hpp>
#include <asio/ssl/context.hpp>
#include <asio/steady_timer.hpp>
#include <chrono>
#include <memory>
#include <string>
#include <string_view>

#include "daemon/control_counters.h"
#include "daemon/control_options.h"
#include "daemon/control_session.h"
#include "hasync/status.h"
#include "net/accept_limiter.h"

namespace hasync::daemon {

class ControlServer {
 public:
  using Reply = ControlSession::Reply;
  using Handler = ControlSession::Handler;

  static constexpr uint32_t kTcpConnectionsPerSecond = 100;
  static constexpr size_t kMaxPendingHandshakes = 8;
  static constexpr std::chrono::milliseconds kHandshakeTimeout{5000};
  static constexpr uint32_t kRefusalLogsPerSecond = 5;
  static constexpr std::chrono::milliseconds kAcceptRetry{100};

  // `options` as MakeControlOptions returns them (TCP certificates filled in). Single-threaded:
  // everything runs on `io`'s thread; destroy the server only once `io` has stopped running
  // (a TLS handshake in progress refers to it).
  ControlServer(asio::io_context& io, ControlOptions options, Handler handler);
  ~ControlServer();
  ControlServer(const ControlServer&) = delete;
  ControlServer& operator=(const ControlServer&) = delete;

  // Errors: kInvalidArgument (socket path too long, unknown owner, unusable certificates), kIo
  // (cannot bind or chown), kUnavailable (another daemon owns the socket).
  Status Start();
  // Stops accepting and removes the socket file. Open connections finish their request.
  void Stop();

  const ControlCounters& counters() const { return counters_; }
  // The TCP endpoint's port (the real one when tcp_listen asked for port 0); 0 without one.
  uint16_t tcp_port() const;

 private:
  struct Handshake;
  class Slot;

  Status StartUnix();
  Status StartTcp();
  void AcceptUnix();
  void AcceptTcp();
  // After an accept error (EMFILE, ENFILE) accepting again at once would spin: wait a little.
  void RetryAccept(void (ControlServer::*accept)());
  void OnTcpAccepted(asio::ip::tcp::socket socket);
  void OnHandshake(const std::shared_ptr<Handshake>& handshake, const asio::error_code& ec);
  // A session slot, or null when max_connections are open.
  std::shared_ptr<void> TakeSlot();
  // A log line for a refused connection, at most kRefusalLogsPerSecond a second (the counters
  // have them all; a flood must not flood the journal).
  void LogRefusal(std::string_view line);

  asio::io_context& io_;
  ControlOptions options_;
  std::shared_ptr<const Handler> handler_;
  asio::local::stream_protocol::acceptor unix_acceptor_;
  asio::ip::tcp::acceptor tcp_acceptor_;
  asio::steady_timer unix_retry_;
  asio::steady_timer tcp_retry_;
  std::shared_ptr<asio::ssl::context> tls_;  // the TCP endpoint's, once started
  net::AcceptLimiter tcp_limiter_{kTcpConnectionsPerSecond};
  std::shared_ptr<uint32_t> open_ = std::make_shared<uint32_t>(0);  // sessions alive (Slot)
  size_t handshaking_ = 0;
  ControlCounters counters_;
  std::chrono::steady_clock::time_point log_window_start_{};
  uint32_t logged_in_window_ = 0;
  uint64_t refusals_not_logged_ = 0;
  bool created_ = false;  // we own the socket file and remove it on Stop
};

}  // namespace hasync::daemon
