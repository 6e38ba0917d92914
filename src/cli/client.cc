#include "cli/client.h"

#include <fmt/format.h>
#include <sys/un.h>

#include <asio/connect.hpp>
#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/local/stream_protocol.hpp>
#include <asio/ssl/error.hpp>
#include <asio/ssl/stream.hpp>
#include <asio/write.hpp>
#include <utility>
#include <vector>

#include "tls/context.h"

namespace hasync::cli {

namespace {

class UnixTransport final : public ControlClient::Transport {
 public:
  static Result<std::unique_ptr<ControlClient::Transport>> Open(const std::string& path) {
    if (path.size() >= sizeof(sockaddr_un::sun_path)) {
      return InvalidArgument(fmt::format("control socket path {} is too long", path));
    }
    auto transport = std::make_unique<UnixTransport>();
    asio::error_code ec;
    transport->socket_.connect(asio::local::stream_protocol::endpoint(path), ec);
    if (ec) return IoError(fmt::format("cannot connect to {}: {}", path, ec.message()));
    return std::unique_ptr<ControlClient::Transport>(std::move(transport));
  }

  Status Write(std::string_view bytes) override {
    asio::error_code ec;
    asio::write(socket_, asio::buffer(bytes), ec);
    return ec ? IoError(ec.message()) : Status::Ok();
  }

  Result<size_t> ReadSome(char* buffer, size_t size) override {
    asio::error_code ec;
    size_t n = socket_.read_some(asio::buffer(buffer, size), ec);
    if (ec == asio::error::eof) return size_t{0};
    if (ec) return IoError(ec.message());
    return n;
  }

 private:
  asio::io_context io_;
  asio::local::stream_protocol::socket socket_{io_};
};

class TlsTransport final : public ControlClient::Transport {
 public:
  explicit TlsTransport(asio::ssl::context& context) : stream_(io_, context) {}

  static Result<std::unique_ptr<ControlClient::Transport>> Open(const Target& target,
                                                                asio::ssl::context& context) {
    // "host:port" or "[v6 address]:port".
    size_t colon = target.connect.rfind(':');
    if (colon == std::string::npos || colon == 0 || colon + 1 == target.connect.size()) {
      return InvalidArgument(
          fmt::format("--connect '{}': expected host:port, e.g. 10.0.0.1:7410", target.connect));
    }
    std::string host = target.connect.substr(0, colon);
    if (host.size() > 2 && host.front() == '[' && host.back() == ']') {
      host = host.substr(1, host.size() - 2);
    }
    auto transport = std::make_unique<TlsTransport>(context);
    asio::error_code ec;
    asio::ip::tcp::resolver resolver(transport->io_);
    auto endpoints = resolver.resolve(host, target.connect.substr(colon + 1), ec);
    if (ec) return IoError(fmt::format("cannot resolve {}: {}", target.connect, ec.message()));
    asio::connect(transport->stream_.lowest_layer(), endpoints, ec);
    if (ec) return IoError(fmt::format("cannot connect to {}: {}", target.connect, ec.message()));
    SSL* ssl = transport->stream_.native_handle();
    tls::ExpectPeerName(ssl, target.server_name);
    transport->stream_.handshake(asio::ssl::stream_base::client, ec);
    if (ec) {
      return IoError(fmt::format("TLS handshake with {} failed: {}", target.connect,
                                 tls::DescribeHandshakeFailure(ssl, ec)));
    }
    return std::unique_ptr<ControlClient::Transport>(std::move(transport));
  }

  Status Write(std::string_view bytes) override {
    asio::error_code ec;
    asio::write(stream_, asio::buffer(bytes), ec);
    return ec ? IoError(tls::DescribeHandshakeFailure(stream_.native_handle(), ec)) : Status::Ok();
  }

  Result<size_t> ReadSome(char* buffer, size_t size) override {
    asio::error_code ec;
    size_t n = stream_.read_some(asio::buffer(buffer, size), ec);
    // hasyncd closes without a TLS close_notify; every line it sent was complete.
    if (ec == asio::error::eof || ec == asio::ssl::error::stream_truncated) return size_t{0};
    // With TLS 1.3 a refused client certificate shows here, as the daemon's alert.
    if (ec) return IoError(tls::DescribeHandshakeFailure(stream_.native_handle(), ec));
    return n;
  }

 private:
  asio::io_context io_;
  asio::ssl::stream<asio::ip::tcp::socket> stream_;
};

}  // namespace

ControlClient::ControlClient(std::unique_ptr<Transport> transport, std::string name)
    : transport_(std::move(transport)), name_(std::move(name)) {}

Status ControlClient::Send(const nlohmann::json& request) {
  std::string line = request.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  line += '\n';
  Status written = transport_->Write(line);
  if (!written.ok()) return IoError(fmt::format("writing to {}: {}", name_, written.message()));
  return Status::Ok();
}

Result<nlohmann::json> ControlClient::Read() {
  // The longest line a daemon sends is a dump record of a maximal value in base64; a daemon
  // that sends more without a newline is broken, and must not exhaust this process's memory.
  constexpr size_t kMaxLineBytes = 64u << 20;
  size_t newline;
  size_t scanned = 0;  // no newline before this offset: each byte is searched once
  while ((newline = buffer_.find('\n', scanned)) == std::string::npos) {
    scanned = buffer_.size();
    if (scanned > kMaxLineBytes) {
      return IoError(
          fmt::format("{}: the daemon sent a line of more than {} bytes", name_, kMaxLineBytes));
    }
    char chunk[64 << 10];
    Result<size_t> n = transport_->ReadSome(chunk, sizeof(chunk));
    if (!n.ok()) return IoError(fmt::format("reading from {}: {}", name_, n.status().message()));
    if (*n == 0) return IoError(fmt::format("{}: the daemon closed the connection", name_));
    buffer_.append(chunk, *n);
  }
  nlohmann::json response =
      nlohmann::json::parse(std::string_view(buffer_).substr(0, newline), nullptr, false);
  buffer_.erase(0, newline + 1);
  if (response.is_discarded() || !response.is_object()) {
    return IoError(fmt::format("{}: the daemon sent a malformed response", name_));
  }
  return response;
}

Result<nlohmann::json> ControlClient::Call(const nlohmann::json& request) {
  Status sent = Send(request);
  if (!sent.ok()) return sent;
  return Read();
}

Result<Dialer> Dialer::Make(Target target) {
  if (target.connect.empty()) return Dialer(std::move(target), nullptr);
  std::vector<std::string_view> missing;
  for (auto [flag, value] :
       {std::pair{"--cert", &target.certificate}, std::pair{"--key", &target.private_key},
        std::pair{"--ca", &target.ca}, std::pair{"--server-name", &target.server_name}}) {
    if (value->empty()) missing.push_back(flag);
  }
  if (!missing.empty()) {
    return InvalidArgument(
        fmt::format("--connect needs {} too: the TCP control endpoint takes only TLS with a client "
                    "certificate (--server-name: the name in hasyncd's certificate)",
                    fmt::join(missing, ", ")));
  }
  Result<std::shared_ptr<asio::ssl::context>> context =
      tls::MakeCertificateContext({target.certificate, target.private_key, target.ca});
  if (!context.ok()) return InvalidArgument(context.status().message());
  return Dialer(std::move(target), std::move(context).value());
}

Result<ControlClient> Dialer::Connect() const {
  Result<std::unique_ptr<ControlClient::Transport>> transport =
      tls_ ? TlsTransport::Open(target_, *tls_) : UnixTransport::Open(target_.control);
  if (!transport.ok()) return transport.status();
  return ControlClient(std::move(transport).value(), tls_ ? target_.connect : target_.control);
}

}  // namespace hasync::cli
