// ControlServer: the unix socket hasyncctl talks to. It frames newline-delimited requests and
// hands each line to a handler; it knows nothing of what the lines mean (control_protocol.h).
//
// Guarantees:
//  - the socket file is created with the configured mode (0600 by default: whoever can write
//    to it can change the replicated state), atomically, by binding under a restrictive umask;
//  - a stale socket file left by a crashed daemon is removed at start, but a live one (another
//    hasyncd answers on it) is an error, as is a path that exists and is not a socket;
//  - requests on one connection are answered in order, one at a time; connections are
//    independent of each other; a response in parts is written with backpressure;
//  - input is bounded: a line longer than kMaxRequestBytes gets an error and the connection is
//    closed.
#pragma once

#include <asio/io_context.hpp>
#include <asio/local/stream_protocol.hpp>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "hasync/status.h"

namespace hasync::daemon {

class ControlServer {
 public:
  struct Session;

  // How a handler answers one request: either once with the whole response (one or more
  // complete lines), or in parts, each written before the next is asked for, so a long
  // response (dump) is produced at the pace the client reads it. Exactly one final call per
  // request; the connection's next request is read only afterwards.
  class Reply {
   public:
    explicit Reply(std::shared_ptr<Session> session) : session_(std::move(session)) {}
    // The whole response, or its last part.
    void operator()(std::string text) const;
    // A part; `next` runs once it is written (not at all if the client went away).
    void Part(std::string text, std::function<void()> next) const;

   private:
    std::shared_ptr<Session> session_;
  };
  // `line` is valid until the reply's final call.
  using Handler = std::function<void(std::string_view line, Reply reply)>;

  ControlServer(asio::io_context& io, std::string path, uint32_t mode, Handler handler);
  ~ControlServer();
  ControlServer(const ControlServer&) = delete;
  ControlServer& operator=(const ControlServer&) = delete;

  Status Start();
  // Stops accepting and removes the socket file. Open connections finish their request.
  void Stop();

 private:
  void Accept();
  void ReadNext(const std::shared_ptr<Session>& session);

  asio::io_context& io_;
  std::string path_;
  uint32_t mode_;
  Handler handler_;
  asio::local::stream_protocol::acceptor acceptor_;
  bool created_ = false;  // we own the socket file and remove it on Stop
};

}  // namespace hasync::daemon
