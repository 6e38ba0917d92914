#include "daemon/control_server.h"

#include <fmt/format.h>
#include <openssl/x509v3.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <asio/ssl/stream.hpp>
#include <asio/steady_timer.hpp>
#include <cerrno>
#include <cstring>

#include "common/endpoint.h"
#include "daemon/control_protocol.h"
#include "daemon/socket_owner.h"
#include "tls/context.h"

namespace hasync::daemon {

using asio::local::stream_protocol;
using TlsStream = asio::ssl::stream<asio::ip::tcp::socket>;

// Held by a session as its ticket: counts it among the open connections while it lives. The
// count is shared, so a session that outlives the server (its last handler queued) is harmless.
class ControlServer::Slot {
 public:
  explicit Slot(std::shared_ptr<uint32_t> open) : open_(std::move(open)) { ++*open_; }
  ~Slot() { --*open_; }
  Slot(const Slot&) = delete;
  Slot& operator=(const Slot&) = delete;

 private:
  std::shared_ptr<uint32_t> open_;
};

// A TCP connection whose TLS handshake runs, bounded by a timer.
struct ControlServer::Handshake {
  Handshake(asio::ip::tcp::socket socket, asio::ssl::context& context, std::string from)
      : timer(socket.get_executor()),  // before the socket is moved into the stream
        stream(std::make_unique<AsioControlStream<TlsStream>>(std::move(socket), context)),
        address(std::move(from)) {}
  asio::steady_timer timer;
  std::unique_ptr<AsioControlStream<TlsStream>> stream;
  std::string address;
  bool finished = false;   // OnHandshake ran; the stream may have moved to a session
  bool timed_out = false;  // the timer closed it
};

namespace {

// Is a daemon answering on `path`? Used to tell a stale socket file from a live one.
bool Answers(asio::io_context& io, const std::string& path) {
  stream_protocol::socket probe(io);
  asio::error_code ec;
  probe.connect(stream_protocol::endpoint(path), ec);
  return !ec;
}

// Whether the client's (verified) certificate carries one of `names`: a DNS subjectAltName, or
// the common name of a certificate without any. Wildcards in the certificate do not count: an
// allowed client is one identity, not a domain.
bool NamesOneOf(SSL* ssl, const std::vector<std::string>& names) {
  X509* certificate = SSL_get0_peer_certificate(ssl);
  if (certificate == nullptr) return false;
  for (const std::string& name : names) {
    if (X509_check_host(certificate, name.data(), name.size(), X509_CHECK_FLAG_NO_WILDCARDS,
                        nullptr) == 1) {
      return true;
    }
  }
  return false;
}

std::string ErrorLine(const Status& error) { return Serialize(ErrorResponse(nullptr, error)); }

}  // namespace

ControlServer::ControlServer(asio::io_context& io, ControlOptions options, Handler handler)
    : io_(io),
      options_(std::move(options)),
      handler_(std::make_shared<const Handler>(std::move(handler))),
      unix_acceptor_(io),
      tcp_acceptor_(io),
      unix_retry_(io),
      tcp_retry_(io) {}

ControlServer::~ControlServer() { Stop(); }

Status ControlServer::Start() {
  Status started = StartUnix();
  if (started.ok() && !options_.tcp_listen.empty()) started = StartTcp();
  if (!started.ok()) Stop();  // removes the socket file if it was created
  return started;
}

Status ControlServer::StartUnix() {
  const std::string& path = options_.socket;
  if (path.size() >= sizeof(sockaddr_un::sun_path)) {
    return InvalidArgument(fmt::format("control socket path {} is longer than {} bytes", path,
                                       sizeof(sockaddr_un::sun_path) - 1));
  }
  // Looked up before anything is created: an unknown name must not leave a socket behind.
  Result<SocketOwner> owner = ResolveSocketOwner(options_.owner, options_.group);
  if (!owner.ok()) return owner.status();
  struct stat st;
  if (lstat(path.c_str(), &st) == 0) {
    if (!S_ISSOCK(st.st_mode)) {
      return IoError(fmt::format("{} exists and is not a socket; not removing it", path));
    }
    if (Answers(io_, path)) {
      return Unavailable(fmt::format("another daemon is listening on {}", path));
    }
    spdlog::info("control: removing stale socket {}", path);
    unlink(path.c_str());
  }
  asio::error_code ec;
  unix_acceptor_.open(stream_protocol(), ec);
  if (!ec) {
    // Bound under a umask that leaves nobody else any access, so the file never exists with a
    // wider mode; then set the configured mode exactly. The daemon is single-threaded here.
    mode_t old = umask(0177);
    unix_acceptor_.bind(stream_protocol::endpoint(path), ec);
    umask(old);
    if (!ec) created_ = true;
  }
  if (!ec && chmod(path.c_str(), options_.mode) != 0) ec.assign(errno, asio::system_category());
  if (ec) return IoError(fmt::format("cannot create control socket {}: {}", path, ec.message()));
  // Handed over before listen(): nobody can connect while the owner is still the daemon's.
  Status chowned = ApplySocketOwner(path, *owner);
  if (!chowned.ok()) return chowned;
  unix_acceptor_.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) return IoError(fmt::format("cannot listen on control socket {}: {}", path, ec.message()));
  spdlog::info("control: listening on {} (mode {:04o}{}{})", path, options_.mode,
               options_.owner.empty() ? "" : ", owner " + options_.owner,
               options_.group.empty() ? "" : ", group " + options_.group);
  AcceptUnix();
  return Status::Ok();
}

Status ControlServer::StartTcp() {
  Result<asio::ip::tcp::endpoint> listen = ParseEndpoint(options_.tcp_listen);
  if (!listen.ok()) return InvalidArgument("control tcp_listen: " + listen.status().message());
  Result<std::shared_ptr<asio::ssl::context>> context = tls::MakeCertificateContext(
      {options_.tls_certificate, options_.tls_private_key, options_.tls_ca});
  if (!context.ok()) {
    return Status::Error(context.status().code(),
                         "control tcp_listen: " + context.status().message());
  }
  tls_ = std::move(context).value();
  asio::error_code ec;
  tcp_acceptor_.open(listen->protocol(), ec);
  if (!ec) tcp_acceptor_.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) tcp_acceptor_.bind(*listen, ec);
  if (!ec) tcp_acceptor_.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    return IoError(
        fmt::format("cannot listen for control on {}: {}", options_.tcp_listen, ec.message()));
  }
  spdlog::info("control: TLS endpoint on {} (client certificates signed by {}; allowed: {})",
               FormatEndpoint(tcp_acceptor_.local_endpoint()), options_.tls_ca,
               options_.allowed_clients.empty()
                   ? std::string("any")
                   : fmt::format("{}", fmt::join(options_.allowed_clients, ", ")));
  if (options_.allowed_clients.empty()) {
    // With the sync channel's CA (the default), that includes the peer node's certificate.
    spdlog::warn(
        "control: allowed_clients is empty: any certificate signed by {} may change the "
        "replicated state over {}; list the administrators' names in [control] allowed_clients",
        options_.tls_ca, options_.tcp_listen);
  }
  AcceptTcp();
  return Status::Ok();
}

void ControlServer::Stop() {
  asio::error_code ignored;
  unix_acceptor_.close(ignored);
  tcp_acceptor_.close(ignored);
  unix_retry_.cancel();
  tcp_retry_.cancel();
  if (created_) unlink(options_.socket.c_str());
  created_ = false;
}

uint16_t ControlServer::tcp_port() const {
  asio::error_code ec;
  asio::ip::tcp::endpoint local = tcp_acceptor_.local_endpoint(ec);
  return ec ? 0 : local.port();
}

std::shared_ptr<void> ControlServer::TakeSlot() {
  if (*open_ >= options_.max_connections) return nullptr;
  return std::make_shared<Slot>(open_);
}

void ControlServer::LogRefusal(std::string_view line) {
  auto now = std::chrono::steady_clock::now();
  if (now - log_window_start_ >= std::chrono::seconds(1)) {
    log_window_start_ = now;
    logged_in_window_ = 0;
  }
  if (logged_in_window_ == kRefusalLogsPerSecond) {
    ++refusals_not_logged_;
    return;
  }
  ++logged_in_window_;
  if (refusals_not_logged_ > 0) {
    spdlog::warn("{} ({} more refused before, not logged)", line, refusals_not_logged_);
  } else {
    spdlog::warn("{}", line);
  }
  refusals_not_logged_ = 0;
}

void ControlServer::AcceptUnix() {
  unix_acceptor_.async_accept([this](asio::error_code ec, stream_protocol::socket socket) {
    if (ec == asio::error::operation_aborted || !unix_acceptor_.is_open()) return;
    if (ec) {
      spdlog::warn("control: accept failed: {}; retrying in {} ms", ec.message(),
                   kAcceptRetry.count());
      RetryAccept(&ControlServer::AcceptUnix);
      return;
    }
    {
      auto stream = std::make_unique<AsioControlStream<stream_protocol::socket>>(std::move(socket));
      if (std::shared_ptr<void> slot = TakeSlot()) {
        ++counters_.accepted;
        std::make_shared<ControlSession>(std::move(stream), handler_, std::move(slot))->Start();
      } else {
        ++counters_.refused_limit;
        LogRefusal(
            fmt::format("control: refused a connection: {} are open (max_connections)", *open_));
        std::make_shared<ControlSession>(std::move(stream), handler_, nullptr)
            ->Refuse(ErrorLine(Unavailable(fmt::format(
                "{} control connections are open (max_connections); try again", *open_))));
      }
    }
    AcceptUnix();
  });
}

void ControlServer::AcceptTcp() {
  tcp_acceptor_.async_accept([this](asio::error_code ec, asio::ip::tcp::socket socket) {
    if (ec == asio::error::operation_aborted || !tcp_acceptor_.is_open()) return;
    if (ec) {
      spdlog::warn("control: TCP accept failed: {}; retrying in {} ms", ec.message(),
                   kAcceptRetry.count());
      RetryAccept(&ControlServer::AcceptTcp);
      return;
    }
    OnTcpAccepted(std::move(socket));
    AcceptTcp();
  });
}

void ControlServer::RetryAccept(void (ControlServer::*accept)()) {
  asio::steady_timer& timer = accept == &ControlServer::AcceptUnix ? unix_retry_ : tcp_retry_;
  timer.expires_after(kAcceptRetry);
  timer.async_wait([this, accept](asio::error_code ec) {
    if (!ec) (this->*accept)();
  });
}

void ControlServer::OnTcpAccepted(asio::ip::tcp::socket socket) {
  asio::error_code ec;
  asio::ip::tcp::endpoint remote = socket.remote_endpoint(ec);
  std::string address = FormatEndpoint(remote);
  // Both refusals come before any TLS work: a flood costs an accept and a close each.
  if (!tcp_limiter_.Admit(std::chrono::steady_clock::now(), remote.address().to_string())) {
    ++counters_.refused_rate;
    socket.close(ec);
    LogRefusal(fmt::format("control: refused a TCP connection from {}: over {} a second", address,
                           kTcpConnectionsPerSecond));
    return;
  }
  if (handshaking_ >= kMaxPendingHandshakes) {
    ++counters_.refused_limit;
    socket.close(ec);
    LogRefusal(fmt::format("control: refused a TCP connection from {}: {} TLS handshakes run",
                           address, handshaking_));
    return;
  }
  ++handshaking_;
  auto handshake = std::make_shared<Handshake>(std::move(socket), *tls_, std::move(address));
  handshake->timer.expires_after(kHandshakeTimeout);
  handshake->timer.async_wait([handshake](asio::error_code timer_ec) {
    if (timer_ec || handshake->finished) return;  // cancelled, or expired as it completed
    handshake->timed_out = true;
    handshake->stream->Close();
  });
  handshake->stream->get().async_handshake(asio::ssl::stream_base::server,
                                           [this, handshake](const asio::error_code& handshake_ec) {
                                             OnHandshake(handshake, handshake_ec);
                                           });
}

void ControlServer::OnHandshake(const std::shared_ptr<Handshake>& handshake,
                                const asio::error_code& ec) {
  --handshaking_;
  handshake->finished = true;
  handshake->timer.cancel();
  const std::string& address = handshake->address;
  SSL* ssl = handshake->stream->get().native_handle();
  if (ec) {
    ++counters_.tls_failed;
    handshake->stream->Close();
    LogRefusal(handshake->timed_out
                   ? fmt::format("control: rejected client {}: no TLS handshake within {} ms",
                                 address, kHandshakeTimeout.count())
                   : fmt::format("control: rejected client {}: TLS handshake failed: {}", address,
                                 tls::DescribeHandshakeFailure(ssl, ec)));
    return;
  }
  std::string subject = tls::PeerSubject(ssl);
  std::unique_ptr<ControlStream> stream = std::move(handshake->stream);
  if (!options_.allowed_clients.empty() && !NamesOneOf(ssl, options_.allowed_clients)) {
    ++counters_.not_allowed;
    std::string allowed = fmt::format("{}", fmt::join(options_.allowed_clients, ", "));
    LogRefusal(fmt::format("control: rejected client {} ({}): not in allowed_clients ({})", address,
                           subject, allowed));
    std::make_shared<ControlSession>(std::move(stream), handler_, nullptr)
        ->Refuse(ErrorLine(
            Rejected(fmt::format("certificate {} is not one of the allowed clients", subject))));
    return;
  }
  std::shared_ptr<void> slot = TakeSlot();
  if (!slot) {
    ++counters_.refused_limit;
    LogRefusal(
        fmt::format("control: refused client {} ({}): {} connections are open "
                    "(max_connections)",
                    address, subject, *open_));
    std::make_shared<ControlSession>(std::move(stream), handler_, nullptr)
        ->Refuse(ErrorLine(Unavailable(
            fmt::format("{} control connections are open (max_connections); try again", *open_))));
    return;
  }
  ++counters_.accepted;
  spdlog::info("control: client {} connected from {}", subject, address);
  std::make_shared<ControlSession>(std::move(stream), handler_, std::move(slot))->Start();
}

}  // namespace hasync::daemon
