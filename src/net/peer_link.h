// PeerLink: the one connection between this node and its peer, secured by TLS 1.3 (or plain TCP
// when the operator chose insecure = true), and the limits on who may connect.
//
// Both nodes listen; the node with the lower node id also dials the peer (every retry_interval,
// each attempt bounded by connect_timeout), so exactly one side initiates and the two never race
// each other's connections. At most one peer connection exists at a time: a second incoming
// connection is closed with a log line. A connection that fails (EOF, ECONNRESET from a peer
// killed with -9, any socket error) is reported once through Listener::OnLinkDown and then
// replaced by dialing or accepting again.
//
// Before a connection is adopted (reported by OnLinkUp) it completes its TLS handshake within
// handshake_timeout: the peer's certificate chains to the CA and names peer_name (certificate
// mode), or it holds the pre-shared key. The dialer waits also for the acceptor's first bytes,
// because in TLS 1.3 a client finishes before the server has checked the client's
// certificate. A refused handshake is logged with the peer's address and the reason, counted,
// and the dialer retries only after retry_after_close. Incoming connections pass a token bucket
// of max_connections_per_second first (refusals are summarised in one log line a second), and
// at most max_pending_handshakes run at once. In plain mode a connection is adopted at once.
//
// Writes are double-buffered per connection (PeerConn): no frame costs an allocation once the
// buffers have grown, and exactly one write is in flight. The queue is bounded twice: a
// connection whose queued bytes pass max_queue_bytes, or whose write has not moved for
// stall_timeout, is dropped as a peer that stopped reading (the core resynchronises it on the
// next connection). The core bounds what it sends without acknowledgement well below that
// (CoreConfig::max_unacked_bytes), so a reading peer never reaches the bound.
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

#include "hasync/node.h"
#include "hasync/status.h"
#include "net/accept_limiter.h"
#include "net/lifetime.h"
#include "net/link_counters.h"
#include "net/link_security.h"
#include "net/peer_conn.h"

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
    // How the channel is secured; Start refuses options that choose no mode (link_security.h).
    TlsOptions tls;
    std::string psk_identity = "hasync";  // PSK mode: both nodes must use the same
    // Limits, as ReplicaOptions describes them (hasync/node.h). MakeDriverOptions sets
    // max_queue_bytes to 2 x max_unacked_bytes + 8 MiB; the default matches the core's default.
    uint32_t max_connections_per_second = 20;
    uint32_t max_pending_handshakes = 8;
    std::chrono::milliseconds handshake_timeout{2000};
    std::chrono::milliseconds stall_timeout{10000};
    size_t max_queue_bytes = size_t{136} << 20;
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

  // Loads the TLS files, binds and listens, then starts dialing if this node dials. Errors: no
  // or two security modes, a TLS file missing or wrong (named), the address in use or not local.
  Status Start();
  // The bound address (with the real port when Options::listen asked for port 0).
  asio::ip::tcp::endpoint local_endpoint() const;

  bool up() const { return conn_ != nullptr; }
  // The peer connection's remote address ("10.0.0.2:7400"), or "" when none is up.
  std::string remote() const { return conn_ ? conn_->remote : std::string(); }
  const LinkCounters& counters() const { return counters_; }
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
  using Conn = std::shared_ptr<PeerConn>;
  void Accept();
  void OnAccepted(asio::ip::tcp::socket socket);
  void ScheduleRefusalSummary();
  void Dial();
  void ScheduleDial(std::chrono::milliseconds delay);
  void Handshake(const Conn& conn, bool dialed);
  void FinishHandshake(const Conn& conn, bool dialed, const asio::error_code& ec);
  void Refuse(const Conn& conn, bool dialed, const asio::error_code& ec);
  void Adopt(Conn conn, std::string_view how);
  void Read(const Conn& conn);
  void StartWrite(const Conn& conn);
  void WatchStall(const Conn& conn);
  void DropStalled(const Conn& conn, size_t queued);
  void Drop(const Conn& conn, std::string reason);
  void FinishGraceful();
  void CloseHandshakes();
  void ConfigureSocket(asio::ip::tcp::socket& socket);

  asio::io_context& io_;
  Options options_;
  int receive_buffer_bytes_;  // 0: leave it to the kernel
  int send_buffer_bytes_;
  Listener* listener_;
  LinkSecurity security_;  // loaded by Start
  LinkCounters counters_;
  AcceptLimiter limiter_;
  asio::ip::tcp::acceptor acceptor_;
  asio::steady_timer dial_timer_;
  asio::steady_timer connect_timer_;
  asio::steady_timer accept_timer_;   // backs off after an accept error (EMFILE)
  asio::steady_timer refusal_timer_;  // one summary of rate-limited connections a second
  bool refusal_summary_armed_ = false;
  Conn conn_;                      // the peer connection, if up
  Conn dialing_;                   // the connect attempt (and then handshake) in progress
  std::vector<Conn> handshaking_;  // accepted connections in their TLS handshake
  std::string last_dial_error_;    // logged once per distinct error, not every 100 ms
  bool stopped_ = false;
  std::function<void()> graceful_done_;
  asio::steady_timer graceful_timer_;
  Lifetime lifetime_;  // last: its handlers stop before anything else goes
};

}  // namespace hasync::net
