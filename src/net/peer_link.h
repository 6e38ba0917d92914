// PeerLink: the one TCP connection between this node and its peer.
//
// Both nodes listen; the node with the lower node id also dials the peer (every retry_interval,
// each attempt bounded by connect_timeout), so exactly one side initiates and the two never race
// each other's connections. At most one peer connection exists at a time: a second incoming
// connection is closed with a log line. A connection that fails (EOF, ECONNRESET from a peer
// killed with -9, any socket error) is reported once through Listener::OnLinkDown and then
// replaced by dialing or accepting again.
//
// Writes are double-buffered per connection: bytes handed to Send() are appended to `pending`
// while the previous batch is being written from `writing`; when that write completes the two
// vectors are swapped. Exactly one async_write is in flight and, once the vectors have grown,
// no frame costs an allocation. The queue is not bounded here: the core bounds what it sends
// without acknowledgement (CoreConfig::max_unacked_bytes).
//
// Single-threaded: every method and callback runs on the io_context's thread.
#pragma once

#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/steady_timer.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "hasync/status.h"
#include "net/lifetime.h"

namespace hasync::net {

class PeerLink {
 public:
  struct Options {
    asio::ip::tcp::endpoint listen;
    std::optional<asio::ip::tcp::endpoint> peer;  // none: accept only
    bool dial = false;                            // this node initiates (it has the lower node id)
    std::chrono::milliseconds retry_interval{100};
    std::chrono::milliseconds connect_timeout{1000};
    // When the core closes a connection that has been up for less than this (a protocol error
    // at once), or refuses the peer, wait this long before dialing again instead of
    // retry_interval, so a misconfigured pair does not reconnect and log ten times a second.
    std::chrono::milliseconds retry_after_close{1000};
    // SO_SNDBUF/SO_RCVBUF, for bulk sync throughput; applied only where net.core.{r,w}mem_max
    // allow it in full, else the kernel's autotuning is left on (it does better than a cap).
    int socket_buffer_bytes = 4 << 20;
    size_t read_buffer_bytes = 256 << 10;
  };

  // Receives what happens on the link. Called on the io thread; may call back into PeerLink.
  class Listener {
   public:
    virtual ~Listener() = default;
    virtual void OnLinkUp() = 0;
    virtual void OnLinkBytes(std::span<const uint8_t> bytes) = 0;
    virtual void OnLinkDown(std::string_view reason) = 0;
  };

  // `io` and `listener` must outlive this object.
  PeerLink(asio::io_context& io, Options options, Listener* listener);
  ~PeerLink();
  PeerLink(const PeerLink&) = delete;
  PeerLink& operator=(const PeerLink&) = delete;

  // Binds and listens, then starts dialing if this node dials. Errors: the address is in use or
  // not local.
  Status Start();
  // The bound address (with the real port when Options::listen asked for port 0).
  asio::ip::tcp::endpoint local_endpoint() const;

  bool up() const { return conn_ != nullptr; }
  // Queues bytes for the peer; dropped when no connection is up (the core knows it is down).
  // Takes `bytes` and leaves it empty: swapped in when nothing is pending (no copy; the caller
  // gets back an empty buffer with capacity), appended otherwise.
  void Send(std::vector<uint8_t>& bytes);
  // How soon the dialer tries again after the core closed a connection.
  enum class Pace : uint8_t {
    kSoon,     // retry_interval: the peer may be back at once (it timed out, said goodbye)
    kNormal,   // retry_interval, or retry_after_close if the connection was short-lived
    kBackOff,  // retry_after_close: the peer would be refused again (a rejected hello)
  };
  // Closes the connection without reporting OnLinkDown (the core asked for it and already treats
  // the channel as down); a new connection follows, paced by `pace`.
  void Close(std::string_view reason, Pace pace = Pace::kNormal);
  // Stops accepting and dialing and reports nothing more to the listener; writes what is queued
  // (a goodbye), half-closes, waits up to `timeout` for the peer to close, then calls `done`.
  void CloseGracefully(std::chrono::milliseconds timeout, std::function<void()> done);
  // Closes everything at once. No callbacks follow.
  void Stop();

 private:
  struct Conn;
  void Accept();
  void Dial();
  void ScheduleDial(std::chrono::milliseconds delay);
  void Adopt(std::shared_ptr<Conn> conn, std::string_view how);
  void Read(const std::shared_ptr<Conn>& conn);
  void StartWrite(const std::shared_ptr<Conn>& conn);
  void Drop(const std::shared_ptr<Conn>& conn, std::string reason);
  void FinishGraceful();
  void ConfigureSocket(asio::ip::tcp::socket& socket);

  asio::io_context& io_;
  Options options_;
  int receive_buffer_bytes_;  // 0: leave it to the kernel
  int send_buffer_bytes_;
  Listener* listener_;
  asio::ip::tcp::acceptor acceptor_;
  asio::steady_timer dial_timer_;
  asio::steady_timer connect_timer_;
  asio::steady_timer accept_timer_;  // backs off after an accept error (EMFILE)
  std::shared_ptr<Conn> conn_;       // the peer connection, if up
  std::shared_ptr<Conn> dialing_;    // the connect attempt in progress, if any
  std::string last_dial_error_;      // logged once per distinct error, not every 100 ms
  bool stopped_ = false;
  std::function<void()> graceful_done_;
  asio::steady_timer graceful_timer_;
  Lifetime lifetime_;  // last: its handlers stop before anything else goes
};

}  // namespace hasync::net
