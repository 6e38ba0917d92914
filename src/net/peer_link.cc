#include "net/peer_link.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <asio/post.hpp>
#include <fstream>

#include "common/endpoint.h"
#include "tls/context.h"

namespace hasync::net {

namespace {

using Clock = std::chrono::steady_clock;

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

PeerLink::PeerLink(asio::io_context& io, Options options, Listener* listener)
    : io_(io),
      options_(std::move(options)),
      receive_buffer_bytes_(
          GrantedBufferBytes("/proc/sys/net/core/rmem_max", options_.socket_buffer_bytes)),
      send_buffer_bytes_(
          GrantedBufferBytes("/proc/sys/net/core/wmem_max", options_.socket_buffer_bytes)),
      listener_(listener),
      limiter_(options_.max_connections_per_second),
      acceptor_(io),
      dial_timer_(io),
      connect_timer_(io),
      accept_timer_(io),
      refusal_timer_(io),
      graceful_timer_(io) {}

PeerLink::~PeerLink() { Stop(); }

Status PeerLink::Start() {
  Result<LinkSecurity> security = LoadLinkSecurity(options_.tls, options_.psk_identity);
  if (!security.ok()) return security.status();
  security_ = std::move(security).value();
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
  std::string listen = FormatEndpoint(local_endpoint());
  spdlog::info("sync: listening on {} ({}){}", listen, security_.description,
               options_.dial && options_.peer
                   ? fmt::format(", dialing {}", FormatEndpoint(*options_.peer))
                   : std::string(options_.peer ? ", waiting for the peer to dial" : ""));
  if (!security_.context) {
    spdlog::warn(
        "sync: insecure = true: the sync channel is neither authenticated nor encrypted; anyone "
        "who can reach {} can read and change the replicated state",
        listen);
  }
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
    OnAccepted(std::move(socket));
    Accept();
  }));
}

void PeerLink::OnAccepted(asio::ip::tcp::socket socket) {
  ++counters_.connections_accepted;
  asio::error_code ec;
  asio::ip::tcp::endpoint remote = socket.remote_endpoint(ec);
  // Refused before anything else is spent on it: a flood costs an accept and a close each.
  if (!limiter_.Admit(Clock::now(), remote.address().to_string())) {
    ++counters_.connections_rate_limited;
    socket.close(ec);
    ScheduleRefusalSummary();
    return;
  }
  std::string address = FormatEndpoint(remote);
  if (conn_) {
    ++counters_.connections_busy;
    spdlog::warn("sync: closing a second peer connection from {}: already connected to {}", address,
                 conn_->remote);
    socket.close(ec);
    return;
  }
  if (security_.context && handshaking_.size() >= options_.max_pending_handshakes) {
    ++counters_.connections_busy;
    spdlog::warn(
        "sync: closing the connection from {}: {} TLS handshakes are already running "
        "(max_pending_handshakes)",
        address, handshaking_.size());
    socket.close(ec);
    return;
  }
  ConfigureSocket(socket);
  auto conn = std::make_shared<PeerConn>(std::move(socket), security_.context.get());
  conn->remote = std::move(address);
  if (!security_.context) {
    Adopt(std::move(conn), "accepted");
    return;
  }
  handshaking_.push_back(conn);
  Handshake(conn, /*dialed=*/false);
}

void PeerLink::ScheduleRefusalSummary() {
  if (refusal_summary_armed_) return;
  refusal_summary_armed_ = true;
  refusal_timer_.expires_after(std::chrono::seconds(1));
  refusal_timer_.async_wait(lifetime_.Guard([this](asio::error_code ec) {
    refusal_summary_armed_ = false;
    if (ec) return;
    if (std::optional<std::string> summary = limiter_.TakeSummary()) {
      spdlog::warn("sync: {}", *summary);
    }
  }));
}

void PeerLink::Dial() {
  if (stopped_ || conn_ || dialing_ || !options_.peer) return;
  auto conn = std::make_shared<PeerConn>(asio::ip::tcp::socket(io_), security_.context.get());
  conn->remote = FormatEndpoint(*options_.peer);
  asio::error_code ec;
  conn->socket().open(options_.peer->protocol(), ec);
  if (!ec) ConfigureSocket(conn->socket());
  dialing_ = conn;
  connect_timer_.expires_after(options_.connect_timeout);
  connect_timer_.async_wait(lifetime_.Guard([this, conn](asio::error_code wait_ec) {
    if (!wait_ec && dialing_ == conn && !conn->handshaking) conn->Close();  // the connect fails
  }));
  conn->socket().async_connect(
      *options_.peer, lifetime_.Guard([this, conn](asio::error_code connect_ec) {
        if (dialing_ != conn) return;
        connect_timer_.cancel();
        if (stopped_) return;
        if (connect_ec) {
          dialing_.reset();
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
          dialing_.reset();
          conn->Close();
          return;
        }
        if (!security_.context) {
          dialing_.reset();
          Adopt(conn, "connected to");
          return;
        }
        Handshake(conn, /*dialed=*/true);
      }));
}

void PeerLink::ScheduleDial(std::chrono::milliseconds delay) {
  if (stopped_ || !options_.dial || !options_.peer) return;
  dial_timer_.expires_after(delay);
  dial_timer_.async_wait(lifetime_.Guard([this](asio::error_code ec) {
    if (!ec) Dial();
  }));
}

void PeerLink::Handshake(const Conn& conn, bool dialed) {
  if (!security_.peer_name.empty()) {
    tls::ExpectPeerName(conn->ssl(), security_.peer_name);
  } else if (dialed) {
    tls::RefuseCertificates(conn->ssl());  // pre-shared key: the acceptor must prove the key
  }
  conn->handshaking = true;
  conn->handshake_timer.expires_after(options_.handshake_timeout);
  conn->handshake_timer.async_wait(lifetime_.Guard([conn](asio::error_code ec) {
    if (ec || !conn->handshaking) return;
    conn->timed_out = true;
    conn->Close();  // the handshake fails; FinishHandshake counts it
  }));
  using asio::ssl::stream_base;
  conn->stream->async_handshake(
      dialed ? stream_base::client : stream_base::server,
      lifetime_.Guard([this, conn, dialed](asio::error_code ec) {
        if (ec || !dialed) return FinishHandshake(conn, dialed, ec);
        // In TLS 1.3 the client finishes before the server has checked the client's
        // certificate; the acceptor's first bytes (its hello) say that it accepted it.
        conn->read_buffer.resize(options_.read_buffer_bytes);
        conn->stream->async_read_some(
            asio::buffer(conn->read_buffer),
            lifetime_.Guard([this, conn](asio::error_code read_ec, size_t n) {
              conn->first_bytes = n;
              FinishHandshake(conn, /*dialed=*/true, read_ec);
            }));
      }));
}

void PeerLink::FinishHandshake(const Conn& conn, bool dialed, const asio::error_code& ec) {
  conn->handshaking = false;
  conn->handshake_timer.cancel();
  if (dialed) {
    if (dialing_ != conn) return;  // stopped, or closed gracefully
    dialing_.reset();
  } else {
    auto it = std::find(handshaking_.begin(), handshaking_.end(), conn);
    if (it == handshaking_.end()) return;
    handshaking_.erase(it);
  }
  if (stopped_) return;
  if (ec) {
    Refuse(conn, dialed, ec);
    return;
  }
  if (conn_) {  // another connection completed first
    conn->Close();
    if (!dialed) {
      ++counters_.connections_busy;
      spdlog::warn("sync: closing a second peer connection from {}: already connected to {}",
                   conn->remote, conn_->remote);
    }
    return;
  }
  Adopt(conn, dialed ? "connected to" : "accepted");
}

void PeerLink::Refuse(const Conn& conn, bool dialed, const asio::error_code& ec) {
  conn->Close();
  if (conn->timed_out) {
    ++counters_.handshake_timeouts;
    spdlog::warn("sync: cut the connection {} {}: no TLS handshake within {} ms",
                 dialed ? "to" : "from", conn->remote, options_.handshake_timeout.count());
  } else {
    ++(tls::FailedOnPeerName(conn->ssl()) ? counters_.peers_wrong_identity
                                          : counters_.handshakes_failed);
    spdlog::warn("sync: rejected peer {}: TLS handshake failed: {}", conn->remote,
                 tls::DescribeHandshakeFailure(conn->ssl(), ec));
  }
  if (!dialed) return;
  // A refused certificate or key would be refused again at once: back off. A peer that closed
  // without a TLS alert (it still holds an old connection, or was busy; a reset when it never
  // read our hello) may take us soon.
  bool closed = ClosedByPeer(ec) || ec == asio::error::connection_reset;
  ScheduleDial(closed && !conn->timed_out ? options_.retry_interval : options_.retry_after_close);
}

void PeerLink::Adopt(Conn conn, std::string_view how) {
  conn->read_buffer.resize(options_.read_buffer_bytes);
  conn->since = Clock::now();
  conn_ = std::move(conn);
  if (SSL* ssl = conn_->ssl()) {
    std::string subject = tls::PeerSubject(ssl);
    spdlog::info("sync: {} peer {} ({}, {})", how, conn_->remote, SSL_get_version(ssl),
                 subject.empty() ? "pre-shared key" : subject);
  } else {
    spdlog::info("sync: {} peer {}", how, conn_->remote);
  }
  Conn self = conn_;
  listener_->OnLinkUp();
  size_t first = std::exchange(self->first_bytes, 0);
  if (conn_ == self && first > 0 && !graceful_done_) {
    listener_->OnLinkBytes({self->read_buffer.data(), first});
  }
  if (conn_ == self) Read(self);
}

void PeerLink::Drop(const Conn& conn, std::string reason) {
  conn->Close();
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
  bool short_lived = Clock::now() - conn_->since < options_.retry_after_close;
  bool back_off = pace == Pace::kBackOff || (pace == Pace::kNormal && short_lived);
  conn_->Close();
  conn_.reset();
  ScheduleDial(back_off ? options_.retry_after_close : options_.retry_interval);
}

void PeerLink::CloseHandshakes() {
  for (const Conn& conn : handshaking_) conn->Close();
  handshaking_.clear();
  if (dialing_) dialing_->Close();
  dialing_.reset();
}

void PeerLink::CloseGracefully(std::chrono::milliseconds timeout, std::function<void()> done) {
  graceful_done_ = std::move(done);
  asio::error_code ignored;
  acceptor_.close(ignored);
  dial_timer_.cancel();
  CloseHandshakes();
  if (!conn_) {
    asio::post(io_, lifetime_.Guard([this] { FinishGraceful(); }));
    return;
  }
  if (!conn_->write_in_flight) conn_->ShutdownSend();
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
  refusal_timer_.cancel();
  graceful_timer_.cancel();
  CloseHandshakes();
  if (conn_) conn_->Close();
  conn_.reset();
}

}  // namespace hasync::net
