// ConsumerServer: the consumer port of one node (docs/consumers.md). It runs a replay::Publisher
// on its NodeDriver's io thread and carries the publisher's wire to real sockets.
//
// The publisher is the node's stream extension: Attach installs it before the driver starts,
// and registers with the driver a drainer that carries out the publisher's effects after every
// drain of the node's (its hooks run inside the node's calls). Every input the server makes to
// the publisher (a connection, bytes read, a close, a write completed, its timer) goes through
// NodeDriver::WithNode, so what it changes on the replay stream is flushed in the same turn.
//
// Per connection: reads go to Publisher::OnBytes; the publisher's sends go to a double-buffered
// write queue (ConsumerConn), and each completed write reports the bytes still queued
// (Publisher::OnWritten), which is how the publisher keeps a slow consumer to window_bytes.
// A connection the publisher closes writes what it queued first (at most kLinger), then
// closes; one the consumer closes is reported once (Publisher::OnClosed).
//
// Bounds: new connections pass a token bucket of max_connections_per_second (refusals are
// summarised in one log line a second, with those refused for max_connections open); a queue
// past max_queue_bytes closes its connection (the publisher keeps queues far below it: it is
// the backstop against a bug, not the flow control).
//
// Single-threaded: every method on the io thread.
#pragma once

#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/steady_timer.hpp>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <span>
#include <string_view>

#include "net/accept_limiter.h"
#include "net/consumer_conn.h"
#include "net/lifetime.h"
#include "net/node_driver.h"
#include "replay/publisher.h"

namespace hasync::net {

// What the consumer port saw below the publisher, for operators.
// (Connections it took are the publisher's PublisherCounters::connections.)
struct ConsumerPortCounters {
  uint64_t rate_limited = 0;  // closed at once: past max_connections_per_second
  uint64_t busy = 0;          // closed at once: max_connections were open
  uint64_t overflowed = 0;    // closed: the write queue passed max_queue_bytes
};

class ConsumerServer {
 public:
  struct Options {
    asio::ip::tcp::endpoint listen;
    uint32_t max_connections_per_second = 1000;
    size_t max_queue_bytes = size_t{1} << 30;
    replay::PublisherConfig publisher;
  };
  static constexpr std::chrono::seconds kLinger{1};
  static constexpr size_t kReadBufferBytes = 16 << 10;  // consumers send hellos and acks

  // `io` and `driver` must outlive this object.
  ConsumerServer(asio::io_context& io, NodeDriver& driver, Options options);
  ~ConsumerServer();
  ConsumerServer(const ConsumerServer&) = delete;
  ConsumerServer& operator=(const ConsumerServer&) = delete;

  // Before Attach.
  void SetSectionFunction(std::string_view table, replay::SectionFunction fn);
  // Before the driver starts: the publisher becomes the node's stream extension.
  void Attach();
  // Binds and listens. Errors: kIo naming the address.
  Status Start();
  // Closes the listener and every connection at once; nothing more reaches the publisher.
  void Stop();

  // The bound address (the real port when Options::listen asked for port 0), set by Start and
  // not changed after, so any thread may read it.
  const asio::ip::tcp::endpoint& local_endpoint() const { return bound_; }
  const replay::Publisher& publisher() const { return publisher_; }
  size_t connections() const { return conns_.size(); }
  const ConsumerPortCounters& counters() const { return counters_; }

 private:
  using Conn = std::shared_ptr<ConsumerConn>;
  void Accept();
  void OnAccepted(asio::ip::tcp::socket socket);
  void ScheduleRefusalSummary();
  void Read(const Conn& conn);
  void OnRead(const Conn& conn, const asio::error_code& ec, size_t n);
  void Lost(const Conn& conn);
  void CarryOut();  // the publisher's effects, after every drain
  void Queue(replay::ConnId id, std::span<const uint8_t> bytes);
  void StartWrite(const Conn& conn);
  void OnWritten(const Conn& conn, const asio::error_code& ec);
  void CloseAfterWrites(replay::ConnId id);
  void ArmTimer(core::TimePoint deadline);

  asio::io_context& io_;
  NodeDriver& driver_;
  Options options_;
  replay::Publisher publisher_;
  AcceptLimiter limiter_;
  asio::ip::tcp::acceptor acceptor_;
  asio::ip::tcp::endpoint bound_;
  asio::steady_timer accept_timer_;   // backs off after an accept error (EMFILE)
  asio::steady_timer refusal_timer_;  // one summary of refused connections a second
  bool refusal_summary_armed_ = false;
  uint64_t busy_unreported_ = 0;  // refused for max_connections since the last summary
  asio::steady_timer timer_;      // the publisher's one timer
  core::TimePoint timer_deadline_ = core::kNever;
  replay::ConnId next_id_ = 1;
  std::map<replay::ConnId, Conn> conns_;  // open, not closing
  ConsumerPortCounters counters_;
  bool stopped_ = false;
  Lifetime lifetime_;  // last: its handlers stop before anything else goes
};

}  // namespace hasync::net
