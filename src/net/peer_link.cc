#include "net/peer_link.h"

#include <spdlog/spdlog.h>

#include <asio/post.hpp>
#include <asio/write.hpp>
#include <fstream>

#include "net/endpoint.h"

namespace hasync::net {

namespace {

// Setting SO_RCVBUF/SO_SNDBUF turns off the kernel's buffer autotuning for that socket, and the
// kernel silently caps the value at net.core.{r,w}mem_max (212992 bytes by default): asking for
// 4 MiB on a default system would leave the socket with less than autotuning gives it. So the
// size is set only where the kernel grants it in full; 0 means "leave it to autotuning".
int GrantedBufferBytes(const char* sysctl, int wanted) {
  std::ifstream file(sysctl);
  long max = 0;
  return file >> max && max >= wanted ? wanted : 0;
}

}  // namespace

struct PeerLink::Conn {
  explicit Conn(asio::ip::tcp::socket s) : socket(std::move(s)) {}
  asio::ip::tcp::socket socket;
  std::string remote;                // for log lines
  std::vector<uint8_t> read_buffer;  // sized once, when the connection is adopted
  std::vector<uint8_t> writing;      // the bytes of the async_write in flight
  std::vector<uint8_t> pending;      // bytes queued behind it
  bool write_in_flight = false;
  bool half_closed = false;  // graceful close: shut down for sending once drained
  std::chrono::steady_clock::time_point since;  // when it was adopted
};

PeerLink::PeerLink(asio::io_context& io, Options options, Listener* listener)
    : io_(io),
      options_(std::move(options)),
      receive_buffer_bytes_(
          GrantedBufferBytes("/proc/sys/net/core/rmem_max", options_.socket_buffer_bytes)),
      send_buffer_bytes_(
          GrantedBufferBytes("/proc/sys/net/core/wmem_max", options_.socket_buffer_bytes)),
      listener_(listener),
      acceptor_(io),
      dial_timer_(io),
      connect_timer_(io),
      accept_timer_(io),
      graceful_timer_(io) {}

PeerLink::~PeerLink() { Stop(); }

Status PeerLink::Start() {
  asio::error_code ec;
  acceptor_.open(options_.listen.protocol(), ec);
  if (!ec) acceptor_.set_option(asio::socket_base::reuse_address(true), ec);
  // Accepted sockets inherit the buffer sizes; they must be set before listen for the TCP
  // window scale to reflect them.
  if (!ec && receive_buffer_bytes_ > 0) {
    acceptor_.set_option(asio::socket_base::receive_buffer_size(receive_buffer_bytes_), ec);
  }
  if (!ec && send_buffer_bytes_ > 0) {
    acceptor_.set_option(asio::socket_base::send_buffer_size(send_buffer_bytes_), ec);
  }
  if (!ec) acceptor_.bind(options_.listen, ec);
  if (!ec) acceptor_.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    return IoError(
        fmt::format("cannot listen on {}: {}", FormatEndpoint(options_.listen), ec.message()));
  }
  spdlog::info("sync: listening on {}{}", FormatEndpoint(local_endpoint()),
               options_.dial && options_.peer
                   ? fmt::format(", dialing {}", FormatEndpoint(*options_.peer))
                   : std::string(options_.peer ? ", waiting for the peer to dial" : ""));
  if (receive_buffer_bytes_ == 0 || send_buffer_bytes_ == 0) {
    spdlog::info(
        "sync: net.core.rmem_max/wmem_max are below {} bytes; socket buffers are left "
        "to the kernel's autotuning",
        options_.socket_buffer_bytes);
  }
  Accept();
  if (options_.dial && options_.peer) Dial();
  return Status::Ok();
}

asio::ip::tcp::endpoint PeerLink::local_endpoint() const {
  asio::error_code ec;
  return acceptor_.local_endpoint(ec);
}

void PeerLink::ConfigureSocket(asio::ip::tcp::socket& socket) {
  asio::error_code ec;  // best effort: a socket without these options still works
  socket.set_option(asio::ip::tcp::no_delay(true), ec);
  if (receive_buffer_bytes_ > 0) {
    socket.set_option(asio::socket_base::receive_buffer_size(receive_buffer_bytes_), ec);
  }
  if (send_buffer_bytes_ > 0) {
    socket.set_option(asio::socket_base::send_buffer_size(send_buffer_bytes_), ec);
  }
}

void PeerLink::Accept() {
  acceptor_.async_accept(lifetime_.Guard([this](asio::error_code ec, asio::ip::tcp::socket socket) {
    if (stopped_ || ec == asio::error::operation_aborted) return;
    if (ec) {
      spdlog::warn("sync: accept failed: {}; retrying", ec.message());
      accept_timer_.expires_after(options_.retry_interval);
      accept_timer_.async_wait(lifetime_.Guard([this](asio::error_code wait_ec) {
        if (!wait_ec && !stopped_) Accept();
      }));
      return;
    }
    asio::error_code peer_ec;
    std::string remote = FormatEndpoint(socket.remote_endpoint(peer_ec));
    if (conn_) {
      spdlog::warn("sync: closing a second peer connection from {}: already connected to {}",
                   remote, conn_->remote);
      socket.close(peer_ec);
    } else {
      auto conn = std::make_shared<Conn>(std::move(socket));
      conn->remote = remote;
      Adopt(std::move(conn), "accepted");
    }
    Accept();
  }));
}

void PeerLink::Dial() {
  if (stopped_ || conn_ || dialing_ || !options_.peer) return;
  auto conn = std::make_shared<Conn>(asio::ip::tcp::socket(io_));
  conn->remote = FormatEndpoint(*options_.peer);
  asio::error_code ec;
  conn->socket.open(options_.peer->protocol(), ec);
  if (!ec) ConfigureSocket(conn->socket);
  dialing_ = conn;
  connect_timer_.expires_after(options_.connect_timeout);
  connect_timer_.async_wait(lifetime_.Guard([this, conn](asio::error_code wait_ec) {
    asio::error_code ignored;
    if (!wait_ec && dialing_ == conn) conn->socket.close(ignored);  // the connect fails
  }));
  conn->socket.async_connect(
      *options_.peer, lifetime_.Guard([this, conn](asio::error_code connect_ec) {
        if (dialing_ != conn) return;
        dialing_.reset();
        connect_timer_.cancel();
        if (stopped_) return;
        if (connect_ec) {
          std::string error = connect_ec == asio::error::operation_aborted
                                  ? std::string("connect timed out")
                                  : connect_ec.message();
          if (error != last_dial_error_) {
            spdlog::info("sync: cannot reach peer {}: {}; retrying every {} ms", conn->remote,
                         error, options_.retry_interval.count());
            last_dial_error_ = error;
          }
          ScheduleDial(options_.retry_interval);
          return;
        }
        last_dial_error_.clear();
        if (conn_) {  // the peer dialed us meanwhile (misconfigured ids): keep the first
          asio::error_code ignored;
          conn->socket.close(ignored);
          return;
        }
        Adopt(conn, "connected to");
      }));
}

void PeerLink::ScheduleDial(std::chrono::milliseconds delay) {
  if (stopped_ || !options_.dial || !options_.peer) return;
  dial_timer_.expires_after(delay);
  dial_timer_.async_wait(lifetime_.Guard([this](asio::error_code ec) {
    if (!ec) Dial();
  }));
}

void PeerLink::Adopt(std::shared_ptr<Conn> conn, std::string_view how) {
  ConfigureSocket(conn->socket);
  conn->read_buffer.resize(options_.read_buffer_bytes);
  conn->since = std::chrono::steady_clock::now();
  conn_ = std::move(conn);
  spdlog::info("sync: {} peer {}", how, conn_->remote);
  std::shared_ptr<Conn> self = conn_;
  listener_->OnLinkUp();
  if (conn_ == self) Read(self);
}

void PeerLink::Read(const std::shared_ptr<Conn>& conn) {
  conn->socket.async_read_some(
      asio::buffer(conn->read_buffer), lifetime_.Guard([this, conn](asio::error_code ec, size_t n) {
        if (conn != conn_) return;
        if (ec) {
          Drop(conn,
               ec == asio::error::eof ? std::string("peer closed the connection") : ec.message());
          return;
        }
        if (!graceful_done_) listener_->OnLinkBytes({conn->read_buffer.data(), n});
        if (conn == conn_) Read(conn);
      }));
}

void PeerLink::Send(std::vector<uint8_t>& bytes) {
  if (conn_ && !bytes.empty() && !conn_->half_closed) {
    if (conn_->pending.empty()) {
      conn_->pending.swap(bytes);
    } else {
      conn_->pending.insert(conn_->pending.end(), bytes.begin(), bytes.end());
    }
    if (!conn_->write_in_flight) StartWrite(conn_);
  }
  bytes.clear();
}

void PeerLink::StartWrite(const std::shared_ptr<Conn>& conn) {
  conn->writing.swap(conn->pending);  // `pending` takes the drained buffer and its capacity
  conn->write_in_flight = true;
  asio::async_write(conn->socket, asio::buffer(conn->writing),
                    lifetime_.Guard([this, conn](asio::error_code ec, size_t) {
                      conn->write_in_flight = false;
                      conn->writing.clear();
                      if (conn != conn_) return;
                      if (ec) {
                        Drop(conn, "write failed: " + ec.message());
                      } else if (!conn->pending.empty()) {
                        StartWrite(conn);
                      } else if (graceful_done_ && !conn->half_closed) {
                        asio::error_code ignored;
                        conn->half_closed = true;
                        conn->socket.shutdown(asio::socket_base::shutdown_send, ignored);
                      }
                    }));
}

void PeerLink::Drop(const std::shared_ptr<Conn>& conn, std::string reason) {
  asio::error_code ignored;
  conn->socket.close(ignored);
  conn_.reset();
  if (graceful_done_) {
    FinishGraceful();
    return;
  }
  spdlog::warn("sync: lost peer {}: {}", conn->remote, reason);
  listener_->OnLinkDown(reason);
  ScheduleDial(options_.retry_interval);
}

void PeerLink::Close(std::string_view reason, Pace pace) {
  if (!conn_) return;
  spdlog::info("sync: closing the connection to {}: {}", conn_->remote, reason);
  bool short_lived = std::chrono::steady_clock::now() - conn_->since < options_.retry_after_close;
  bool back_off = pace == Pace::kBackOff || (pace == Pace::kNormal && short_lived);
  asio::error_code ignored;
  conn_->socket.close(ignored);
  conn_.reset();
  ScheduleDial(back_off ? options_.retry_after_close : options_.retry_interval);
}

void PeerLink::CloseGracefully(std::chrono::milliseconds timeout, std::function<void()> done) {
  graceful_done_ = std::move(done);
  asio::error_code ignored;
  acceptor_.close(ignored);
  dial_timer_.cancel();
  if (dialing_) dialing_->socket.close(ignored);
  dialing_.reset();
  if (!conn_) {
    asio::post(io_, lifetime_.Guard([this] { FinishGraceful(); }));
    return;
  }
  if (!conn_->write_in_flight) {
    conn_->half_closed = true;
    conn_->socket.shutdown(asio::socket_base::shutdown_send, ignored);
  }
  graceful_timer_.expires_after(timeout);
  graceful_timer_.async_wait(lifetime_.Guard([this](asio::error_code ec) {
    if (!ec) FinishGraceful();
  }));
}

void PeerLink::FinishGraceful() {
  if (!graceful_done_) return;
  std::function<void()> done = std::move(graceful_done_);
  graceful_done_ = nullptr;
  Stop();
  done();
}

void PeerLink::Stop() {
  stopped_ = true;
  asio::error_code ignored;
  acceptor_.close(ignored);
  dial_timer_.cancel();
  connect_timer_.cancel();
  accept_timer_.cancel();
  graceful_timer_.cancel();
  if (dialing_) dialing_->socket.close(ignored);
  dialing_.reset();
  if (conn_) conn_->socket.close(ignored);
  conn_.reset();
}

}  // namespace hasync::net
