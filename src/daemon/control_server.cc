#include "daemon/control_server.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <asio/read_until.hpp>
#include <asio/write.hpp>
#include <cerrno>
#include <cstring>

#include "daemon/control_protocol.h"

namespace hasync::daemon {

using asio::local::stream_protocol;

struct ControlServer::Session {
  Session(stream_protocol::socket s, ControlServer* owner) : socket(std::move(s)), server(owner) {}
  stream_protocol::socket socket;
  ControlServer* server;
  std::string in;        // bytes read, not yet consumed as lines
  size_t line_size = 0;  // the request being answered occupies in[0, line_size)
  std::string out;       // the response (part) being written
};

void ControlServer::Reply::operator()(std::string text) const {
  std::shared_ptr<Session> session = session_;
  session->in.erase(0, session->line_size);
  session->line_size = 0;
  session->out = std::move(text);
  asio::async_write(session->socket, asio::buffer(session->out),
                    [session](asio::error_code ec, size_t) {
                      if (!ec) session->server->ReadNext(session);
                    });
}

void ControlServer::Reply::Part(std::string text, std::function<void()> next) const {
  std::shared_ptr<Session> session = session_;
  session->out = std::move(text);
  asio::async_write(session->socket, asio::buffer(session->out),
                    [next = std::move(next)](asio::error_code ec, size_t) {
                      if (!ec) next();
                    });
}

namespace {

// Is a daemon answering on `path`? Used to tell a stale socket file from a live one.
bool Answers(asio::io_context& io, const std::string& path) {
  stream_protocol::socket probe(io);
  asio::error_code ec;
  probe.connect(stream_protocol::endpoint(path), ec);
  return !ec;
}

}  // namespace

ControlServer::ControlServer(asio::io_context& io, std::string path, uint32_t mode, Handler handler)
    : io_(io), path_(std::move(path)), mode_(mode), handler_(std::move(handler)), acceptor_(io) {}

ControlServer::~ControlServer() { Stop(); }

Status ControlServer::Start() {
  if (path_.size() >= sizeof(sockaddr_un::sun_path)) {
    return InvalidArgument(fmt::format("control socket path {} is longer than {} bytes", path_,
                                       sizeof(sockaddr_un::sun_path) - 1));
  }
  struct stat st;
  if (lstat(path_.c_str(), &st) == 0) {
    if (!S_ISSOCK(st.st_mode)) {
      return IoError(fmt::format("{} exists and is not a socket; not removing it", path_));
    }
    if (Answers(io_, path_)) {
      return Unavailable(fmt::format("another daemon is listening on {}", path_));
    }
    spdlog::info("control: removing stale socket {}", path_);
    unlink(path_.c_str());
  }
  asio::error_code ec;
  acceptor_.open(stream_protocol(), ec);
  if (!ec) {
    // Bound under a umask that leaves nobody else any access, so the file never exists with a
    // wider mode; then set the configured mode exactly. The daemon is single-threaded here.
    mode_t old = umask(0177);
    acceptor_.bind(stream_protocol::endpoint(path_), ec);
    umask(old);
  }
  if (!ec && chmod(path_.c_str(), mode_) != 0) ec.assign(errno, asio::system_category());
  if (!ec) acceptor_.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    return IoError(fmt::format("cannot create control socket {}: {}", path_, ec.message()));
  }
  created_ = true;
  spdlog::info("control: listening on {} (mode {:04o})", path_, mode_);
  Accept();
  return Status::Ok();
}

void ControlServer::Stop() {
  asio::error_code ignored;
  acceptor_.close(ignored);
  if (created_) unlink(path_.c_str());
  created_ = false;
}

void ControlServer::Accept() {
  acceptor_.async_accept([this](asio::error_code ec, stream_protocol::socket socket) {
    if (ec == asio::error::operation_aborted || !acceptor_.is_open()) return;
    if (ec) {
      spdlog::warn("control: accept failed: {}", ec.message());
    } else {
      ReadNext(std::make_shared<Session>(std::move(socket), this));
    }
    Accept();
  });
}

void ControlServer::ReadNext(const std::shared_ptr<Session>& session) {
  // The +1 leaves room for the newline of a line of exactly kMaxRequestBytes.
  asio::async_read_until(
      session->socket, asio::dynamic_buffer(session->in, kMaxRequestBytes + 1), '\n',
      [this, session](asio::error_code ec, size_t n) {
        if (ec == asio::error::not_found) {  // the buffer filled up without a newline
          session->out = Serialize(ErrorResponse(
              nullptr, TooLarge(fmt::format("request line over {} bytes", kMaxRequestBytes))));
          asio::async_write(session->socket, asio::buffer(session->out),
                            [session](asio::error_code, size_t) {
                              asio::error_code ignored;
                              session->socket.close(ignored);
                            });
          return;
        }
        if (ec) return;  // the client went away
        std::string_view line(session->in.data(), n - 1);
        if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
        if (line.find_first_not_of(" \t") == std::string_view::npos) {
          session->in.erase(0, n);
          ReadNext(session);
          return;
        }
        // The handler may reply at once or much later (a replicated write, a switchover).
        session->line_size = n;
        handler_(line, Reply(session));
      });
}

}  // namespace hasync::daemon
