// ControlStream: the byte stream a control connection runs over (a unix socket, or TLS over
// TCP), behind one small interface so that ControlSession's framing exists once for both.
//
// The contract is asio's: at most one read and one write in flight, handlers run on the io
// thread, and Close makes operations in progress complete with an error.
#pragma once

#include <asio/any_io_executor.hpp>
#include <asio/buffer.hpp>
#include <asio/error.hpp>
#include <asio/socket_base.hpp>
#include <asio/write.hpp>
#include <cstddef>
#include <functional>
#include <utility>

namespace hasync::daemon {

class ControlStream {
 public:
  using Done = std::function<void(asio::error_code, size_t)>;

  virtual ~ControlStream() = default;
  // Reads what is available, at least one byte (or an error).
  virtual void ReadSome(asio::mutable_buffer buffer, Done done) = 0;
  // Writes all of `buffer` (or an error); it must stay valid until `done` runs.
  virtual void Write(asio::const_buffer buffer, Done done) = 0;
  // No more bytes will be sent: the client reads EOF after what was written (TLS: without a
  // close_notify). Reading goes on.
  virtual void ShutdownSend() = 0;
  // Closes the connection at once; nothing more is sent.
  virtual void Close() = 0;
  virtual asio::any_io_executor executor() = 0;
};

// A ControlStream over an asio stream: local::stream_protocol::socket, or
// ssl::stream<ip::tcp::socket> once its handshake is done.
template <typename Stream>
class AsioControlStream final : public ControlStream {
 public:
  template <typename... Args>
  explicit AsioControlStream(Args&&... args) : stream_(std::forward<Args>(args)...) {}

  Stream& get() { return stream_; }

  void ReadSome(asio::mutable_buffer buffer, Done done) override {
    stream_.async_read_some(buffer, std::move(done));
  }
  void Write(asio::const_buffer buffer, Done done) override {
    asio::async_write(stream_, buffer, std::move(done));
  }
  void ShutdownSend() override {
    asio::error_code ignored;
    stream_.lowest_layer().shutdown(asio::socket_base::shutdown_send, ignored);
  }
  void Close() override {
    asio::error_code ignored;
    stream_.lowest_layer().close(ignored);
  }
  asio::any_io_executor executor() override { return stream_.get_executor(); }

 private:
  Stream stream_;
};

}  // namespace hasync::daemon
