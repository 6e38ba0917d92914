// Links: the TCP connections of one consumer, one slot per endpoint index, as the
// ConsumerSession asks for them (connect, send, close), reporting what happens to a Listener.
//
// Writes are double-buffered with one write in flight, and bounded: a connection with more
// than max_queue_bytes waiting (a node that stopped reading; a consumer only sends hellos, acks
// and pings, so a reading node never comes near it) is closed and reported closed. A slot that
// the session closed reports nothing more: its handlers find another connection (or none) in
// the slot and do nothing. Reports never happen inside a call to Links, always from a handler,
// so a listener may call back into Links.
//
// Single-threaded: every method and report runs on the io_context's thread.
#pragma once

#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace hasync::consumer {

class Links {
 public:
  class Listener {
   public:
    virtual ~Listener() = default;
    virtual void OnLinkConnected(size_t slot) = 0;
    virtual void OnLinkBytes(size_t slot, std::span<const uint8_t> bytes) = 0;
    // The connect failed or the connection ended (not reported for a Close()).
    virtual void OnLinkClosed(size_t slot, std::string_view reason) = 0;
  };

  static constexpr size_t kReadBufferBytes = 64 << 10;

  // `io` and `listener` must outlive this object.
  Links(asio::io_context& io, size_t slots, Listener* listener, size_t max_queue_bytes);
  ~Links();
  Links(const Links&) = delete;
  Links& operator=(const Links&) = delete;

  // Replaces whatever the slot holds with a connection to `endpoint`.
  void Connect(size_t slot, const asio::ip::tcp::endpoint& endpoint);
  // Queues bytes; dropped when the slot is not connected. Takes `bytes` (left empty).
  void Send(size_t slot, std::vector<uint8_t>& bytes);
  void Close(size_t slot);
  void CloseAll();

 private:
  struct Link;
  using LinkPtr = std::shared_ptr<Link>;
  void Read(size_t slot, const LinkPtr& link);
  void StartWrite(size_t slot, const LinkPtr& link);
  // Closes the slot's connection and reports it, from a handler.
  void Fail(size_t slot, const LinkPtr& link, std::string reason);

  asio::io_context& io_;
  Listener* listener_;
  size_t max_queue_bytes_;
  std::vector<LinkPtr> links_;
};

}  // namespace hasync::consumer
