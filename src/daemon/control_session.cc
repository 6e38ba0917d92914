#include "daemon/control_session.h"

#include <fmt/format.h>

#include <algorithm>

#include "daemon/control_protocol.h"

namespace hasync::daemon {

void ControlSession::Reply::operator()(std::string text) const {
  session_->Finish(std::move(text));
}

void ControlSession::Reply::Part(std::string text, std::function<void()> next) const {
  session_->WritePart(std::move(text), std::move(next));
}

ControlSession::ControlSession(std::unique_ptr<ControlStream> stream,
                               std::shared_ptr<const Handler> handler, std::shared_ptr<void> ticket)
    : stream_(std::move(stream)), handler_(std::move(handler)), ticket_(std::move(ticket)) {}

void ControlSession::Start() { ReadNext(); }

void ControlSession::Refuse(std::string line) {
  out_ = std::move(line);
  stream_->Write(asio::buffer(out_), [self = shared_from_this()](asio::error_code ec, size_t) {
    if (ec) return self->stream_->Close();
    self->stream_->ShutdownSend();
    self->linger_ = std::make_unique<asio::steady_timer>(self->stream_->executor(), kLinger);
    self->linger_->async_wait([self](asio::error_code) { self->stream_->Close(); });
    self->Linger();
  });
}

// Closing a TCP connection with unread bytes resets it, and a reset can discard the error line
// still on its way: so the client's bytes are read and dropped until it closes (it has read
// the line and EOF by then), or for kLinger at most.
void ControlSession::Linger() {
  in_.resize(kReadChunk);
  stream_->ReadSome(asio::buffer(in_), [self = shared_from_this()](asio::error_code ec, size_t) {
    if (!ec) return self->Linger();
    self->linger_->cancel();  // its handler closes the stream
  });
}

void ControlSession::ReadNext() {
  // Blank lines are skipped in a loop, erased from the buffer once: a client sending a megabyte
  // of newlines costs one pass over them.
  size_t start = 0;
  size_t newline;
  while ((newline = in_.find('\n', std::max(start, scanned_))) != std::string::npos) {
    std::string_view line(in_.data() + start, newline - start);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.find_first_not_of(" \t") != std::string_view::npos) {
      in_.erase(0, start);
      scanned_ = 0;
      line_size_ = newline + 1 - start;
      // The handler may reply at once or much later (a replicated write, a switchover).
      (*handler_)(std::string_view(in_.data(), line.size()), Reply(shared_from_this()));
      return;
    }
    start = newline + 1;
  }
  in_.erase(0, start);
  scanned_ = in_.size();
  // The +1 leaves room for the newline of a line of exactly kMaxRequestBytes.
  if (in_.size() >= kMaxRequestBytes + 1) {
    return Refuse(Serialize(ErrorResponse(
        nullptr, TooLarge(fmt::format("request line over {} bytes", kMaxRequestBytes)))));
  }
  size_t old_size = in_.size();
  size_t room = std::min(kReadChunk, kMaxRequestBytes + 1 - old_size);
  in_.resize(old_size + room);
  stream_->ReadSome(asio::buffer(in_.data() + old_size, room),
                    [self = shared_from_this(), old_size](asio::error_code ec, size_t n) {
                      self->in_.resize(old_size + n);
                      if (!ec) self->ReadNext();  // otherwise the client went away
                    });
}

void ControlSession::Finish(std::string text) {
  in_.erase(0, line_size_);
  line_size_ = 0;
  scanned_ = 0;
  out_ = std::move(text);
  stream_->Write(asio::buffer(out_), [self = shared_from_this()](asio::error_code ec, size_t) {
    if (!ec) self->ReadNext();
  });
}

void ControlSession::WritePart(std::string text, std::function<void()> next) {
  out_ = std::move(text);
  stream_->Write(asio::buffer(out_), [next = std::move(next)](asio::error_code ec, size_t) {
    if (!ec) next();
  });
}

}  // namespace hasync::daemon
