// ConsumerConn: one connection on the consumer port, and its write queue.
//
// ConsumerServer decides what happens to a connection; a ConsumerConn holds the socket, the
// buffers and the state those decisions need. Writes are double-buffered like PeerConn's:
// bytes queued while a write is in flight are appended to `pending`, and when the write
// completes the two vectors are swapped, so exactly one write is in flight and, once the
// vectors have grown, an update costs no allocation.
//
// Single-threaded, like ConsumerServer.
#pragma once

#include <asio/ip/tcp.hpp>
#include <asio/steady_timer.hpp>
#include <cstdint>
#include <string>
#include <vector>

#include "replay/publisher.h"

namespace hasync::net {

struct ConsumerConn {
  ConsumerConn(asio::ip::tcp::socket s, replay::ConnId conn_id, std::string address)
      : socket(std::move(s)),
        linger(socket.get_executor()),
        id(conn_id),
        remote(std::move(address)) {}
  ConsumerConn(const ConsumerConn&) = delete;
  ConsumerConn& operator=(const ConsumerConn&) = delete;

  // Bytes not yet taken by the kernel (the write in flight counts whole until it completes).
  size_t queued() const { return writing.size() + pending.size(); }
  void Close() {
    asio::error_code ignored;
    socket.close(ignored);
    linger.cancel();
  }

  asio::ip::tcp::socket socket;
  asio::steady_timer linger;  // bounds how long a closing connection may take to drain
  replay::ConnId id;
  std::string remote;  // host:port, for log lines
  std::vector<uint8_t> read_buffer;
  std::vector<uint8_t> writing;  // the bytes of the write in flight
  std::vector<uint8_t> pending;  // bytes queued behind it
  bool write_in_flight = false;
  bool closing = false;  // the publisher closed it: the queue drains, then the socket closes
};

}  // namespace hasync::net
