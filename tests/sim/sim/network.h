// Network: the one TCP connection between the two simulated nodes, with its faults.
//
// Model (what the real daemon's single connection does, and what the core must cope with):
//  - a connection is two ordered byte pipes. Each write is cut at random points (TCP
//    segmentation) and each piece gets its own delay (latency + jitter), but pieces are never
//    delivered out of order within a direction, and consecutive ready pieces may be coalesced
//    into one read. OnBytes therefore sees arbitrary fragments of frames.
//  - establishment: when both nodes run, neither holds an endpoint and the link is not
//    partitioned, both get OnChannelUp after a connect delay, in a random order.
//  - close: a node that emits CloseChannel is down in its own view; a FIN follows the bytes it
//    already wrote and gives the far side OnChannelDown when it arrives. Once neither side holds
//    an endpoint the link reconnects after a retry delay. A reset gives both sides
//    OnChannelDown at once and drops what was in flight.
//  - partition: bytes (and FINs) stop flowing both ways without anyone being told, like a cut
//    cable; nothing is lost, it flows again on heal unless an endpoint was closed meanwhile.
//  - half-open: a node still holding a connection its peer closed (during a partition) or lost
//    (power loss and restart) refuses a second one, as src/net's PeerLink does: the dialing node
//    gets OnChannelUp, its hello goes nowhere, OnChannelDown one round trip later, and it retries
//    until the holder's heartbeat deadline frees the link.
//  - crash: kill -9 closes the dead node's endpoint (its kernel flushes what was written, then
//    FIN); power loss drops it silently, so the survivor must notice by its heartbeat deadline.
//  - delay spikes; rare corruption (a flipped bit) or reordering (two pieces swapped) that the
//    core must detect by checksum or sequence number and recover from by reconnecting.
// Every choice is drawn from the world's Rng in event order, so a seed replays exactly.
#pragma once

#include <array>
#include <cstdint>
#include <deque>
#include <span>
#include <string_view>
#include <vector>

#include "sim/event_queue.h"
#include "sim/frames.h"
#include "sim/rng.h"
#include "sim/tamper.h"
#include "sim/trace.h"

namespace hasync::sim {

// How the network calls back into the world. Calls happen from network events only, never
// while a node is inside one of its own calls.
class LinkEvents {
 public:
  virtual bool NodeRunning(int slot) const = 0;
  virtual void ChannelUp(int slot) = 0;
  virtual void ChannelDown(int slot, std::string_view reason) = 0;
  virtual void Bytes(int slot, std::span<const uint8_t> bytes) = 0;
  // A frame entered the pipe from `from`; its last byte is at stream offset `end`.
  virtual void FrameSent(int from, const Frame& frame, uint64_t end) = 0;
  virtual void BadStream(int from, std::string_view error) = 0;

 protected:
  ~LinkEvents() = default;
};

struct NetParams {
  Duration latency{0};    // one-way base delay
  Duration jitter{0};     // extra delay, uniform in [0, jitter]
  Duration connect{0};    // connection establishment
  Duration retry_min{0};  // reconnection after a teardown: uniform in [retry_min, retry_max]
  Duration retry_max{0};
};

class Network {
 public:
  Network(NetParams params, Rng* rng, EventQueue* queue, LinkEvents* events, Tamper* tamper,
          Trace* trace);
  Network(const Network&) = delete;
  Network& operator=(const Network&) = delete;

  // What the nodes' drivers report.
  void Send(int from, std::span<const uint8_t> bytes);
  void Close(int from);  // the node emitted CloseChannel
  void NodeStarted(int slot);
  void NodeStopped(int slot, bool flush);  // flush: kill -9 (FIN follows); else power loss

  // Faults.
  void SetPartition(bool on);
  bool Reset();  // false if there was no connection to reset
  void Spike(Duration extra, Duration length);
  void CorruptNext(int from) { pipes_[from].corrupt_next = true; }
  void ReorderNext(int from) { pipes_[from].reorder_next = true; }
  // Drops armed corruption and reordering and ends a spike: a quiet window begins.
  void Calm();

  // State, for the invariants.
  uint64_t conn() const { return conn_; }
  bool alive() const { return alive_; }
  bool open(int slot) const { return open_[slot]; }
  bool partitioned() const { return partitioned_; }
  bool spiking() const { return queue_->now() < spike_until_; }
  bool idle() const { return pipes_[0].chunks.empty() && pipes_[1].chunks.empty(); }
  uint64_t sent(int from) const { return pipes_[from].sent; }
  uint64_t delivered(int from) const { return pipes_[from].delivered; }
  bool tampered(int from) const { return pipes_[from].tampered; }

 private:
  struct Chunk {
    std::vector<uint8_t> bytes;
    TimePoint ready{0};
    bool fin = false;
    bool barrier = false;  // never coalesce past the end of this piece
  };
  struct Pipe {
    std::deque<Chunk> chunks;
    TimePoint last_ready{0};
    uint64_t sent = 0;
    uint64_t delivered = 0;
    uint64_t pump_token = 0;
    bool pump_pending = false;
    bool corrupt_next = false;
    bool reorder_next = false;
    bool tampered = false;  // corrupted or reordered on this connection
    FrameScanner scanner;
  };

  Duration Latency();
  void Enqueue(int from, std::vector<uint8_t> bytes, const std::vector<size_t>& eof_ends);
  void Disorder(int from, size_t fresh);
  void Fin(int from);
  void SchedulePump(int from);
  void Pump(int from);
  void ClearPipes();
  void MaybeTeardown();
  void ScheduleConnect(Duration delay);
  void Connect();
  void Refuse(int dialer);

  NetParams params_;
  Rng* rng_;
  EventQueue* queue_;
  LinkEvents* events_;
  Tamper* tamper_;
  Trace* trace_;

  uint64_t conn_ = 0;           // id of the latest connection
  bool alive_ = false;          // it exists and carries bytes (not reset, not torn down)
  std::array<bool, 2> open_{};  // each node's endpoint of connection conn_
  std::array<Pipe, 2> pipes_;   // indexed by sender
  bool partitioned_ = false;
  bool connect_pending_ = false;
  int refused_ = -1;           // the node holding a connection its peer refused, if any
  uint64_t refuse_token_ = 0;  // invalidates the refusal's close when that node dies
  Duration spike_extra_{0};
  TimePoint spike_until_{0};
};

}  // namespace hasync::sim
