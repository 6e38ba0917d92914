// ConsumerLinks: the TCP connections between the simulated consumers and the nodes' consumer
// ports, with their faults. The same model as sim/network.h, made for many short-lived
// connections:
//  - a connection is two ordered byte pipes; each write is cut at random points and each piece
//    delayed (latency + jitter, + a spike of that consumer's), never reordered; a consumer
//    reads one piece or a few coalesced, and a slow one stays busy after each read
//    (ConsumerSpec::read_base + ns_per_byte), so what a node writes backs up behind it;
//  - what a node wrote and the consumer has not read, past the socket buffer, is what the node's
//    driver still queues: the links report it after every write and every read that changes
//    it (Publisher::OnWritten), as the daemon's ConsumerServer does after each completed write;
//  - dialing: after the connect delay the node accepts (OnConnected) if it runs, else the
//    consumer is refused; a dial across the partition is lost, and the consumer's own silence
//    deadline gives up on it;
//  - close: either side's close sends a FIN after what it wrote; a reset tells both sides at
//    once and drops what was in flight;
//  - partition: a consumer on one node's side (ConsumerSpec::side) reaches only that node while
//    the pair is partitioned; bytes stop both ways, nothing is lost, they flow again on heal;
//  - a node's crash: kill -9 closes its connections (a FIN after what it wrote), a power loss
//    leaves them silent, and a restarted node answers a silent connection's next bytes with a
//    reset; a consumer's crash resets its connections.
// Frames are cut out of each direction's stream (sim/frames.h, which validates them: wire_valid)
// and shown to the events before they enter the pipe, which may check or rewrite them (--break).
// Every choice is drawn from the consumers' Rng in event order, so a seed replays exactly.
#pragma once

#include <array>
#include <cstdint>
#include <deque>
#include <map>
#include <span>
#include <string_view>
#include <vector>

#include "sim/consumer_setup.h"
#include "sim/event_queue.h"
#include "sim/frames.h"
#include "sim/rng.h"
#include "sim/trace.h"

namespace hasync::sim {

using ConnId = uint64_t;

// How the links call back into the consumers' driver: never from inside a node's or a
// consumer's own call.
class ConsumerLinkEvents {
 public:
  virtual bool NodeRunning(int slot) const = 0;
  virtual uint64_t NodeLife(int slot) const = 0;
  virtual bool Partitioned() const = 0;
  virtual void NodeAccepted(int slot, ConnId conn) = 0;
  virtual void NodeBytes(int slot, ConnId conn, std::span<const uint8_t> bytes) = 0;
  virtual void NodeClosed(int slot, ConnId conn) = 0;
  virtual void NodeWritten(int slot, ConnId conn, size_t queued) = 0;
  virtual void ConsumerConnected(size_t consumer, size_t endpoint) = 0;
  virtual void ConsumerBytes(size_t consumer, size_t endpoint, ConnId conn,
                             std::span<const uint8_t> bytes) = 0;
  virtual void ConsumerClosed(size_t consumer, size_t endpoint, ConnId conn,
                              std::string_view reason) = 0;
  // Frames about to enter a pipe; the callee may rewrite or erase them.
  virtual void FramesToConsumer(ConnId conn, std::vector<Frame>& frames) = 0;
  virtual void FramesToNode(ConnId conn, std::vector<Frame>& frames) = 0;
  virtual void BadStream(ConnId conn, bool to_node, std::string_view error) = 0;

 protected:
  ~ConsumerLinkEvents() = default;
};

class ConsumerLinks {
 public:
  ConsumerLinks(const ConsumerSetup& setup, Rng* rng, EventQueue* queue, ConsumerLinkEvents* events,
                Trace* trace);
  ConsumerLinks(const ConsumerLinks&) = delete;
  ConsumerLinks& operator=(const ConsumerLinks&) = delete;

  // What the consumers' sessions ask for.
  void Dial(size_t consumer, size_t endpoint);
  void SendToNode(size_t consumer, size_t endpoint, std::span<const uint8_t> bytes);
  void ConsumerClose(size_t consumer, size_t endpoint);
  void ConsumerCrashed(size_t consumer);
  // What the nodes' publishers ask for.
  void SendToConsumer(ConnId conn, std::span<const uint8_t> bytes);
  void NodeClose(ConnId conn);
  void NodeStopped(int slot, bool flush);  // flush: kill -9 (a FIN follows); else power loss

  // Faults.
  bool Reset(size_t consumer);  // its subscription's connection, or any; false if none
  void Spike(size_t consumer, Duration extra, Duration length);
  void PartitionChanged();  // the pair's partition began or healed

  // The connection consumer `consumer` has to `endpoint`, 0 for none.
  ConnId conn(size_t consumer, size_t endpoint) const;
  // The consumer and the node of `conn`, if it is still known.
  bool Owner(ConnId conn, size_t* consumer, int* slot) const;
  // Whether the consumer's session still holds `conn` (what the node sends on it may arrive).
  bool consumer_holds(ConnId conn) const;
  // Bytes delivered to the node on `conn` so far.
  uint64_t to_node_delivered(ConnId conn) const;
  bool idle() const;

 private:
  struct Chunk {
    std::vector<uint8_t> bytes;
    TimePoint ready{0};
    bool fin = false;
  };
  struct Pipe {
    std::deque<Chunk> chunks;
    TimePoint last_ready{0};
    uint64_t token = 0;  // invalidates a scheduled pump
    bool pump_pending = false;
    uint64_t delivered = 0;
    FrameScanner scanner;
  };
  struct Link {
    size_t consumer = 0;
    int slot = 0;
    uint64_t life = 0;  // of the node that accepted it
    bool accepted = false;
    bool node_open = false;     // the node's publisher holds it
    bool consumer_open = true;  // the consumer's session holds it
    bool silent = false;        // its node lost power: no FIN will come
    bool reset = false;         // reset or refused: nothing flows, each side is told
    Pipe to_node;
    Pipe to_consumer;
    TimePoint read_at{0};  // the consumer is busy reading until then
    uint64_t emitted = 0;  // bytes the node wrote
    uint64_t consumed = 0;
    size_t reported = 0;  // the last queued figure reported
    bool report_due = false;
    bool report_pending = false;
  };

  Link* Find(ConnId conn);
  Duration Latency(size_t consumer);
  bool Blocked(const Link& link) const;
  void Establish(ConnId conn);
  void Enqueue(ConnId conn, Link& link, bool to_node, std::vector<uint8_t> bytes);
  void Fin(ConnId conn, Link& link, bool to_node);
  void SchedulePump(ConnId conn, Link& link, bool to_node);
  void Pump(ConnId conn, bool to_node);
  void DeliverToNode(ConnId conn, Link& link);
  void DeliverToConsumer(ConnId conn, Link& link);
  void ScheduleReport(ConnId conn, Link& link);
  void Report(ConnId conn);
  // The consumer learns, one round trip later, that the connection was refused or reset.
  void RefuseLater(ConnId conn, Link& link, std::string_view reason);
  void TellConsumer(ConnId conn, std::string_view reason);
  void ForgetIfDone(ConnId conn);
  std::vector<uint8_t> Scan(ConnId conn, Link& link, bool to_node, std::span<const uint8_t> bytes);

  const ConsumerSetup& setup_;
  Rng* rng_;
  EventQueue* queue_;
  ConsumerLinkEvents* events_;
  Trace* trace_;
  ConnId next_conn_ = 1;
  std::map<ConnId, Link> links_;
  std::vector<std::array<ConnId, 2>> by_consumer_;      // the session's connection per endpoint
  std::vector<std::pair<TimePoint, Duration>> spikes_;  // per consumer: until, extra
};

}  // namespace hasync::sim
