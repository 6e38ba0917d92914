// Consumers: the consumers workload, in the seeds whose setup has consumers (ConsumerSetup).
//
// Each node life runs its own replay::Publisher, created and attached when the node starts (its
// stream extension is a PublisherTap around it) and destroyed with the node. It is driven as
// the daemon's ConsumerServer drives it: every input (a connection, bytes, a close, a write
// report, its timer) is a call into the node (World::Call, so the turn ends with a Flush), and
// its effects are carried out after every drain of the node's. Each consumer is a
// consumer::ConsumerSession with endpoints 0 and 1 = node slots 0 and 1, driven as
// hasync::Consumer drives it: its applied ops go to the simulated application (the checks),
// then its sends, closes, dials, and its timer. The connections are sim/consumer_links.h's.
//
// Consumers start early in the first chaos phase. During chaos, besides the pair's own faults,
// a phase resets consumer connections, crashes consumers (they return within the phase as a new
// session, resuming the same channel while holding nothing, or asking for a new channel) and
// slows their links; and updates sent to a consumer are chased by a fault timed within the time
// its ack takes to reach the standby (a crash or power loss of the active, a switchover, a cut
// or reset of the pair's link, a reset of the consumer's connection, a crash of the consumer),
// so failover lands between an update and its acknowledgement. Everything ends with the phase.
// Draws come from World::consumer_rng.
#pragma once

#include <array>
#include <memory>
#include <vector>

#include "consumer/session.h"
#include "core/node.h"
#include "replay/publisher.h"
#include "sim/consumer_checks.h"
#include "sim/consumer_links.h"
#include "sim/consumer_tamper.h"
#include "sim/publisher_tap.h"

namespace hasync::sim {

class World;

// Chased faults per chaos phase at most.
inline constexpr uint64_t kMaxConsumerChased = 3;

class Consumers final : private ConsumerLinkEvents {
 public:
  explicit Consumers(World* world);
  ~Consumers();
  Consumers(const Consumers&) = delete;
  Consumers& operator=(const Consumers&) = delete;

  bool on() const;
  // Node `slot` is starting: its publisher, attached to `node`.
  void NodeStarting(int slot, core::Node& node);
  // Its node died: the publisher goes; kill -9 (`flush`) closes its connections.
  void NodeLost(int slot, bool flush);
  // After every drain of node `slot`'s effects: the publisher's.
  void Drain(int slot);
  // The end of a call into node `slot`.
  void CallDone(int slot) {
    if (publishers_[slot] != nullptr) checks_.CallDone(slot);
  }
  // A chaos phase until `until`: the consumers start (the first phase), and its faults.
  void Run(core::TimePoint until);
  void PartitionChanged() { links_.PartitionChanged(); }
  void CheckConverged(int active) { checks_.CheckConverged(active); }
  const ConsumerCounts& counts() { return checks_.counts(); }

  // For the checks.
  replay::Publisher* publisher(int slot) { return publishers_[slot].get(); }
  PublisherTap* tap(int slot) const { return taps_[slot].get(); }
  const consumer::ConsumerSession* session(size_t c) const { return sessions_[c].get(); }
  const ConsumerSpec& spec(size_t c) const;
  uint8_t SectionOf(const std::string& table, std::string_view key) const;

 private:
  struct Timer {
    core::TimePoint at = core::kNever;
    uint64_t gen = 0;
  };

  void StartSession(size_t c, uint64_t channel);
  void DrainSession(size_t c);
  void ArmPublisherTimer(int slot, core::TimePoint at);
  void Crash(size_t c, core::TimePoint back);
  void Fault(core::TimePoint phase_end);
  void Chase(size_t c, int slot);
  void ChasedFault(size_t c, int slot);
  void CrashNode(int slot, bool power);

  // ConsumerLinkEvents.
  bool NodeRunning(int slot) const override;
  uint64_t NodeLife(int slot) const override;
  bool Partitioned() const override;
  void NodeAccepted(int slot, ConnId conn) override;
  void NodeBytes(int slot, ConnId conn, std::span<const uint8_t> bytes) override;
  void NodeClosed(int slot, ConnId conn) override;
  void NodeWritten(int slot, ConnId conn, size_t queued) override;
  void ConsumerConnected(size_t consumer, size_t endpoint) override;
  void ConsumerBytes(size_t consumer, size_t endpoint, ConnId conn,
                     std::span<const uint8_t> bytes) override;
  void ConsumerClosed(size_t consumer, size_t endpoint, ConnId conn,
                      std::string_view reason) override;
  void FramesToConsumer(ConnId conn, std::vector<Frame>& frames) override;
  void FramesToNode(ConnId conn, std::vector<Frame>& frames) override;
  void BadStream(ConnId conn, bool to_node, std::string_view error) override;

  uint64_t ChannelIdSeed(int slot) const;

  World* w_;
  ConsumerLinks links_;
  ConsumerChecks checks_;
  ConsumerTamper tamper_;
  std::array<std::unique_ptr<replay::Publisher>, 2> publishers_;
  std::array<std::unique_ptr<PublisherTap>, 2> taps_;
  std::array<Timer, 2> publisher_timers_;
  std::vector<std::unique_ptr<consumer::ConsumerSession>> sessions_;
  std::vector<Timer> session_timers_;
  ConnId delivering_ = 0;  // the connection whose bytes the session is reading
  bool started_ = false;
  core::TimePoint chaos_end_{0};
  uint64_t chase_left_ = 0;
};

}  // namespace hasync::sim
