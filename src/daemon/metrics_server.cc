#include "daemon/metrics_server.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <asio/read_until.hpp>
#include <asio/steady_timer.hpp>
#include <asio/write.hpp>
#include <chrono>

#include "common/endpoint.h"

namespace hasync::daemon {

namespace {

constexpr size_t kMaxRequestBytes = 8 << 10;
constexpr std::chrono::seconds kRequestTimeout{5};

std::string HttpResponse(std::string_view status, std::string_view content_type,
                         std::string_view body) {
  return fmt::format(
      "HTTP/1.1 {}\r\nContent-Type: {}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{}",
      status, content_type, body.size(), body);
}

}  // namespace

struct MetricsServer::Session {
  explicit Session(asio::ip::tcp::socket s)
      : socket(std::move(s)), timeout(socket.get_executor()) {}
  asio::ip::tcp::socket socket;
  asio::steady_timer timeout;
  std::string in;
  std::string out;
};

MetricsServer::MetricsServer(asio::io_context& io, asio::ip::tcp::endpoint listen, Render render)
    : listen_(listen), render_(std::move(render)), acceptor_(io) {}

Status MetricsServer::Start() {
  asio::error_code ec;
  acceptor_.open(listen_.protocol(), ec);
  if (!ec) acceptor_.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) acceptor_.bind(listen_, ec);
  if (!ec) acceptor_.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    return IoError(
        fmt::format("cannot serve metrics on {}: {}", FormatEndpoint(listen_), ec.message()));
  }
  spdlog::info("metrics: serving http://{}/metrics", FormatEndpoint(acceptor_.local_endpoint()));
  Accept();
  return Status::Ok();
}

void MetricsServer::Stop() {
  asio::error_code ignored;
  acceptor_.close(ignored);
}

void MetricsServer::Accept() {
  acceptor_.async_accept([this](asio::error_code ec, asio::ip::tcp::socket socket) {
    if (ec == asio::error::operation_aborted || !acceptor_.is_open()) return;
    if (!ec) {
      auto session = std::make_shared<Session>(std::move(socket));
      session->timeout.expires_after(kRequestTimeout);
      session->timeout.async_wait([session](asio::error_code wait_ec) {
        asio::error_code ignored;
        if (!wait_ec) session->socket.close(ignored);
      });
      asio::async_read_until(session->socket, asio::dynamic_buffer(session->in, kMaxRequestBytes),
                             "\r\n\r\n", [this, session](asio::error_code read_ec, size_t) {
                               if (read_ec) {
                                 session->timeout.cancel();
                                 return;
                               }
                               Respond(session);
                             });
    }
    Accept();
  });
}

void MetricsServer::Respond(const std::shared_ptr<Session>& session) {
  std::string_view request(session->in);
  std::string_view line = request.substr(0, request.find("\r\n"));
  if (line.rfind("GET ", 0) != 0) {
    session->out = HttpResponse("405 Method Not Allowed", "text/plain", "only GET\n");
  } else if (line.rfind("GET /metrics ", 0) == 0 || line.rfind("GET /metrics?", 0) == 0) {
    session->out = HttpResponse("200 OK", "text/plain; version=0.0.4; charset=utf-8", render_());
  } else {
    session->out = HttpResponse("404 Not Found", "text/plain", "try /metrics\n");
  }
  asio::async_write(session->socket, asio::buffer(session->out),
                    [session](asio::error_code, size_t) {
                      asio::error_code ignored;
                      session->socket.shutdown(asio::socket_base::shutdown_both, ignored);
                      session->socket.close(ignored);
                      session->timeout.cancel();
                    });
}

}  // namespace hasync::daemon
