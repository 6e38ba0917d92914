// ControlSession: one control connection, over any ControlStream. It frames newline-delimited
// requests and hands each line to a handler; it knows nothing of what the lines mean
// (control_protocol.h).
//
// Guarantees:
//  - requests on one connection are answered in order, one at a time: the next line is not
//    read before the reply's final call;
//  - a response in parts is written with backpressure: the next part is asked for only once
//    the previous one is written;
//  - input is bounded: a line longer than kMaxRequestBytes gets a too_large error and the
//    connection is closed; blank lines are skipped.
#pragma once

#include <asio/steady_timer.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "daemon/control_stream.h"

namespace hasync::daemon {

class ControlSession : public std::enable_shared_from_this<ControlSession> {
 public:
  // How a handler answers one request: either once with the whole response (one or more
  // complete lines), or in parts, each written before the next is asked for, so a long
  // response (dump) is produced at the pace the client reads it. Exactly one final call per
  // request.
  class Reply {
   public:
    explicit Reply(std::shared_ptr<ControlSession> session) : session_(std::move(session)) {}
    // The whole response, or its last part.
    void operator()(std::string text) const;
    // A part; `next` runs once it is written (not at all if the client went away).
    void Part(std::string text, std::function<void()> next) const;

   private:
    std::shared_ptr<ControlSession> session_;
  };
  // `line` is valid until the reply's final call.
  using Handler = std::function<void(std::string_view line, Reply reply)>;

  // `ticket` is held as long as the session lives (the server counts open connections by it).
  ControlSession(std::unique_ptr<ControlStream> stream, std::shared_ptr<const Handler> handler,
                 std::shared_ptr<void> ticket);
  ControlSession(const ControlSession&) = delete;
  ControlSession& operator=(const ControlSession&) = delete;

  // Serves requests until the client goes away.
  void Start();
  // Writes `line` (an error response) and ends the connection, serving nothing: a refused
  // connection, or one that sent too long a line.
  void Refuse(std::string line);

 private:
  static constexpr size_t kReadChunk = 16 << 10;
  // After a refusal, how long what the client still sends is read and dropped (see Linger).
  static constexpr std::chrono::seconds kLinger{1};

  void ReadNext();
  void Finish(std::string text);
  void WritePart(std::string text, std::function<void()> next);
  void Linger();

  std::unique_ptr<ControlStream> stream_;
  std::shared_ptr<const Handler> handler_;
  std::shared_ptr<void> ticket_;
  std::string in_;        // bytes read, not yet consumed as lines
  size_t scanned_ = 0;    // in_[0, scanned_) holds no newline
  size_t line_size_ = 0;  // the request being answered occupies in_[0, line_size_)
  std::string out_;       // the response (part) being written
  std::unique_ptr<asio::steady_timer> linger_;  // set once refused
};

}  // namespace hasync::daemon
