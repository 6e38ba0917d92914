// PeerConn: one TCP connection to or from the peer, plain or inside TLS, and its write queue.
//
// PeerLink decides what happens to a connection (handshake, adoption, closing); a PeerConn holds
// the stream, the buffers and the timestamps those decisions need. Reads and writes go through
// the TLS stream when there is one, straight to the socket otherwise (insecure mode).
//
// Writes are double-buffered: bytes queued while a write is in flight are appended to `pending`;
// when the write completes the two vectors are swapped. Exactly one write is in flight and, once
// the vectors have grown, no frame costs an allocation. Each time the kernel takes some of the
// bytes `last_progress` moves, so a peer that stopped reading shows as a write that has not
// moved for a while.
//
// Single-threaded, like PeerLink.
#pragma once

#include <asio/ip/tcp.hpp>
#include <asio/ssl/context.hpp>
#include <asio/ssl/stream.hpp>
#include <asio/steady_timer.hpp>
#include <asio/write.hpp>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace hasync::net {

// Whether `ec` ends a read because the peer closed the connection. A TLS peer that closes
// without close_notify ends its stream "truncated"; for hasync that is an ordinary close (the
// goodbye frame, not TLS, says a close was planned).
bool ClosedByPeer(const asio::error_code& ec);

struct PeerConn {
  using Clock = std::chrono::steady_clock;

  // `tls`: the context to run TLS with (the connection keeps its own reference to the OpenSSL
  // context), or null for plain TCP.
  PeerConn(asio::ip::tcp::socket socket, asio::ssl::context* tls);
  PeerConn(const PeerConn&) = delete;
  PeerConn& operator=(const PeerConn&) = delete;

  asio::ip::tcp::socket& socket() { return stream ? stream->next_layer() : plain; }
  SSL* ssl() { return stream ? stream->native_handle() : nullptr; }
  // Calls `fn` with what to read from and write to: the TLS stream, or the socket.
  template <typename Fn>
  void WithStream(Fn&& fn) {
    if (stream) {
      fn(*stream);
    } else {
      fn(plain);
    }
  }

  // Bytes not yet taken by the kernel.
  size_t queued() const { return writing.size() - written + pending.size(); }
  // Moves `pending` to `writing` and writes it; `handler(error_code, size_t)` runs when all of
  // it is written or the write failed.
  template <typename Handler>
  void StartWrite(Handler handler);
  // Graceful close: no more bytes will be sent (the peer reads EOF after what was written).
  void ShutdownSend();
  // Closes the socket; operations in progress complete with operation_aborted.
  void Close();

  asio::steady_timer handshake_timer;  // the TLS handshake deadline
  asio::steady_timer stall_timer;      // watches a write that does not move
  asio::ip::tcp::socket plain;         // the socket in plain mode (moved into `stream` for TLS)
  std::optional<asio::ssl::stream<asio::ip::tcp::socket>> stream;
  std::string remote;                // the peer's address, for log lines
  std::vector<uint8_t> read_buffer;  // sized once, before the first read
  size_t first_bytes = 0;            // read while completing a dialer's handshake
  std::vector<uint8_t> writing;      // the bytes of the write in flight
  std::vector<uint8_t> pending;      // bytes queued behind it
  size_t written = 0;                // of `writing`, taken by the kernel so far
  bool write_in_flight = false;
  bool handshaking = false;         // the TLS handshake is running
  bool timed_out = false;           // its deadline passed (the close that follows is counted once)
  bool stall_watch = false;         // stall_timer is armed
  bool overflowed = false;          // the queue passed its bound; being dropped
  bool half_closed = false;         // graceful close: shut down for sending once drained
  Clock::time_point since;          // when it was adopted
  Clock::time_point last_progress;  // when a write last moved bytes (or started)

 private:
  // The most a single write system call is handed (asio's default for async_write).
  static constexpr size_t kWriteChunkBytes = 64 << 10;
};

template <typename Handler>
void PeerConn::StartWrite(Handler handler) {
  writing.swap(pending);  // `pending` takes the drained buffer and its capacity
  written = 0;
  write_in_flight = true;
  last_progress = Clock::now();
  // async_write asks this before each partial write: it is where progress is seen.
  auto progress = [this](const asio::error_code& ec, size_t total) -> size_t {
    if (total != written) {
      written = total;
      last_progress = Clock::now();
    }
    return ec ? 0 : kWriteChunkBytes;
  };
  WithStream(
      [&](auto& s) { asio::async_write(s, asio::buffer(writing), progress, std::move(handler)); });
}

}  // namespace hasync::net
