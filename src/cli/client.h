// ControlClient: hasyncctl's side of hasyncd's control endpoints (docs/operations.md): the unix
// socket, or the TCP endpoint over TLS 1.3 with a client certificate. Blocking: send one JSON
// request line, read response lines. Errors are values whose messages say what to check
// ("cannot connect to /run/hasync/hasyncd.sock: No such file or directory").
#pragma once

#include <asio/ssl/context.hpp>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "hasync/status.h"

namespace hasync::cli {

// Where to connect: the unix socket `control`, or, when `connect` is set, host:port over TLS.
struct Target {
  std::string control = "/run/hasync/hasyncd.sock";
  std::string connect;      // "host:port" ("[fd00::1]:7410"); a host name is resolved
  std::string certificate;  // PEM: hasyncctl's client certificate
  std::string private_key;  // PEM: its key
  std::string ca;           // PEM: the CA hasyncd's certificate must chain to
  std::string server_name;  // the name hasyncd's certificate must carry
};

class ControlClient {
 public:
  // A blocking byte stream: the unix socket or the TLS connection.
  class Transport {
   public:
    virtual ~Transport() = default;
    virtual Status Write(std::string_view bytes) = 0;
    // Some bytes into `buffer`; 0 when the daemon closed the connection.
    virtual Result<size_t> ReadSome(char* buffer, size_t size) = 0;
  };

  // `name` says where it is connected, in error messages.
  ControlClient(std::unique_ptr<Transport> transport, std::string name);

  Status Send(const nlohmann::json& request);
  // The next response line, parsed. kIo if the daemon closed the connection or sent garbage.
  Result<nlohmann::json> Read();
  // Send + Read.
  Result<nlohmann::json> Call(const nlohmann::json& request);

 private:
  std::unique_ptr<Transport> transport_;
  std::string name_;
  std::string buffer_;  // bytes read past the last line returned
};

// Opens connections to one target; the TLS credentials are loaded once, by Make.
class Dialer {
 public:
  // kInvalidArgument for an incomplete TLS target, or credentials that do not load.
  static Result<Dialer> Make(Target target);
  Result<ControlClient> Connect() const;

 private:
  Dialer(Target target, std::shared_ptr<asio::ssl::context> tls)
      : target_(std::move(target)), tls_(std::move(tls)) {}
  Target target_;
  std::shared_ptr<asio::ssl::context> tls_;  // null: the unix socket
};

}  // namespace hasync::cli
