// MetricsServer: a deliberately tiny HTTP/1.x server for Prometheus scrapes. It answers
// "GET /metrics" with the text `render` returns, 404 for any other path, 405 for any other
// method, and closes the connection after every response. Requests are bounded (8 KiB of
// headers, 5 s to send them) so a stray client cannot hold the daemon's memory or sockets.
#pragma once

#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>
#include <functional>
#include <memory>
#include <string>

#include "hasync/status.h"

namespace hasync::daemon {

class MetricsServer {
 public:
  using Render = std::function<std::string()>;

  MetricsServer(asio::io_context& io, asio::ip::tcp::endpoint listen, Render render);
  Status Start();
  void Stop();

 private:
  struct Session;
  void Accept();
  void Respond(const std::shared_ptr<Session>& session);

  asio::ip::tcp::endpoint listen_;
  Render render_;
  asio::ip::tcp::acceptor acceptor_;
};

}  // namespace hasync::daemon
