// ReplayPair: a Publisher on each node of a core::testing::Pair, with fake consumers that
// speak raw wire messages on in-memory connections, driven as a daemon drives them: every
// publisher input is followed by a node turn (Flush), its sends are delivered and reported
// written at once (unless the test stalls the connection), and its timer fires in virtual
// time. A restarted node gets a fresh publisher, as a restarted process would.
#pragma once

#include <array>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "core/pair.h"
#include "replay/publisher.h"
#include "wire/consumer_messages.h"
#include "wire/frame.h"

namespace hasync::replay::testing {

using core::Duration;
using core::testing::Pair;
using namespace std::chrono_literals;

// Small windows and fragments so tests reach them with a few records.
PublisherConfig TestPublisherConfig();

// The records of `table` on node `n` whose key starts with `prefix`: key -> value.
std::map<std::string, std::string> Records(const core::Node& n, std::string_view table,
                                           std::string_view prefix = "");

// A consumer reduced to its wire behaviour: it applies updates to a map as ConsumerSession
// does (a replay replaces its reset sections), keeps its resume point, and remembers what it
// received. It answers nothing by itself; tests send hellos and acks. One connection at a time
// (a copy serves as a second one).
class FakeConsumer {
 public:
  struct Applied {
    uint64_t op = 0;
    uint64_t term = 0;
    uint64_t mask = 0;
    bool replay = false;
    uint64_t reset = 0;
    size_t frames = 0;
    std::vector<std::string> keys;  // of its records, in order
  };

  explicit FakeConsumer(std::string table, std::string prefix = "");

  // Frames of the connection being opened (numbering restarts at 1 for each connection).
  void NewConnection();
  std::vector<uint8_t> Hello(bool ack_only = false);
  std::vector<uint8_t> Ack();  // up to what it applied
  std::vector<uint8_t> Ack(uint64_t channel, uint64_t op, uint64_t term);
  std::vector<uint8_t> Ping();
  template <typename Message>
  std::vector<uint8_t> Frame(const Message& m);

  void Receive(std::span<const uint8_t> bytes);

  std::string table;
  std::string prefix;
  uint64_t channel = 0;
  uint64_t last_op = 0;
  uint64_t last_term = 0;
  std::deque<wire::ResumeEntry> ring;
  std::map<std::string, std::pair<uint8_t, std::string>> data;  // key -> (section, value)
  std::vector<wire::ConsumerWelcome> welcomes;
  std::vector<Applied> applied;
  size_t pings = 0;
  // Its copy as key -> value, to compare with Records().
  std::map<std::string, std::string> Values() const;
  std::string error;      // set on the first protocol error seen
  bool auto_ping = true;  // ReplayPair::Run pings for it

 private:
  void OnUpdate(const wire::ConsumerUpdate& u);
  void Apply();

  wire::FrameReader reader_;
  uint64_t seq_ = 1;
  bool open_update_ = false;
  Applied pending_;
  struct Record {
    wire::UpdateKind kind;
    uint8_t section;
    std::string key;
    std::string value;
  };
  std::vector<Record> records_;  // of the op being received
};

class ReplayPair {
 public:
  explicit ReplayPair(PublisherConfig config = TestPublisherConfig(),
                      core::CoreConfig a = core::testing::TestConfig(1, 200),
                      core::CoreConfig b = core::testing::TestConfig(2, 100));

  // Before the node starts: the publisher of every node made from now on gets it.
  void SetSectionFunction(std::string table, SectionFunction fn);
  // Node 0 active, node 1 an in-sync standby.
  void StartConnected();
  // Node 0 alone until it becomes active.
  void StartAlone();
  void Start(int i);
  // Node i dies: its connections close, its publisher goes (Pair::Crash).
  void Crash(int i);

  Pair& pair() { return pair_; }
  core::Node& node(int i) { return pair_.node(i); }
  Publisher& publisher(int i) { return *publishers_[i]; }
  core::TimePoint now() const { return pair_.now(); }

  // A connection from `c` to node i, its hello sent (unless `hello` is false).
  ConnId Connect(int i, FakeConsumer& c, bool hello = true, bool ack_only = false);
  void Send(ConnId conn, std::span<const uint8_t> bytes);
  void Ack(ConnId conn);
  // The consumer closes the connection.
  void Close(ConnId conn);
  // Bytes toward the consumer stay queued in the "driver" (not written) until unstalled.
  void Stall(ConnId conn, bool on);
  bool open(ConnId conn) const { return conns_.at(conn).open; }

  void Put(int i, std::string_view table, std::string_view key, std::string_view value);
  void Erase(int i, std::string_view table, std::string_view key);

  // Delivers everything in flight, runs the nodes' turns, until quiet.
  void Pump();
  // Advances virtual time; open consumers ping every 500 ms so they are not cut.
  void Run(Duration span);

 private:
  struct Link {
    int node = 0;
    FakeConsumer* consumer = nullptr;
    bool open = true;
    bool stalled = false;
    std::vector<uint8_t> held;  // written by the publisher, not yet delivered
    bool hello_sent = false;
    core::TimePoint last_ping{0};
  };
  bool Route(int i);
  void Deliver(ConnId id, Link& link);

  PublisherConfig config_;
  std::map<std::string, SectionFunction> section_functions_;
  Pair pair_;
  std::array<std::unique_ptr<Publisher>, 2> publishers_;
  uint64_t lives_ = 0;  // node lives so far, for their channel id seeds
  std::map<ConnId, Link> conns_;
  ConnId next_conn_ = 1;
};

template <typename Message>
std::vector<uint8_t> FakeConsumer::Frame(const Message& m) {
  std::vector<uint8_t> out;
  wire::FrameWriter w(&out);
  wire::Encode(w, seq_++, m);
  return out;
}

}  // namespace hasync::replay::testing
