// ConsumerSetup: what a seed with consumers draws before it starts (sim/consumers.h runs it):
// the publishers' settings (the same on both nodes, as a deployment configures the pair alike),
// the consumers' subscriptions and pace, their connections' timing, and the consumer faults.
//
// Its draws come from a third generator seeded from the seed (World::consumer_rng), so a seed
// without consumers draws, and runs, exactly as it did before consumers existed. The settings
// are drawn small in some seeds so that the bounded paths run: a pending queue of a few ops
// (ranges), few keys per op or per history (section replays), a window of a few KiB (consumers
// fall behind and get catch-up replays), small fragments (ops in many frames), one replay at a
// time, low full-replay thresholds, a short consumer_timeout (channels dropped, then resumed
// as unknown).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/config.h"
#include "replay/config.h"
#include "sim/rng.h"

namespace hasync::sim {

struct Setup;

// One simulated consumer.
struct ConsumerSpec {
  std::string table;   // one of the workload's: t0, t1, or p when the seed preloads
  std::string prefix;  // "" (the whole table) or a key prefix
  // The partition side it sits on: 0 or 1 (it reaches only that node while the pair is
  // partitioned), or -1 (it reaches both).
  int side = -1;
  size_t ring_size = 256;    // its resume ring (a few entries in some seeds)
  Duration read_base{0};     // each read of its connection keeps it busy this long ...
  uint64_t ns_per_byte = 0;  // ... plus this per byte: a slow consumer
};

// The consumer links' timing (sim/consumer_links.h).
struct ConsumerNetParams {
  Duration latency{0};
  Duration jitter{0};
  Duration connect{0};
  // Bytes a node's socket takes before its writes queue (what Publisher::OnWritten reports).
  size_t socket_buffer = 0;
};

struct ConsumerSetup {
  bool on = false;
  replay::PublisherConfig publisher;
  // Table t1's sections come from a function of the key instead of DefaultSection.
  bool custom_sections = false;
  std::vector<ConsumerSpec> consumers;  // 1..6, mostly 1..3: each costs the simulator
  // The sessions' timing (one setting for every consumer).
  Duration reconnect_delay{0};
  Duration refused_delay{0};
  Duration ping_interval{0};
  Duration dead_after{0};
  ConsumerNetParams net;
  // Faults: per chaos phase, up to this many resets, consumer crashes and spikes at random;
  // and this percent of the updates sent are chased by a fault within the time its ack takes
  // to reach the standby (at most kMaxConsumerChased per phase).
  uint64_t faults_max = 0;
  uint64_t chase_percent = 0;
};

// Which seeds run consumers: about 30% (drawn), none, or all. The draws are the same in all
// three, so a seed's consumers are the same whichever makes it run them.
enum class ConsumerChoice : uint8_t { kDrawn, kNone, kAll };

// Draws the seed's consumers from `rng` and, if it runs them, lengthens the quiet window by what
// a consumer needs to find the active and catch up.
void DrawConsumers(Rng& rng, ConsumerChoice choice, Setup* setup);
// t1's section function in seeds with custom_sections: sections 0..7 only.
uint8_t SimSection(std::string_view key);
std::string DescribeConsumers(const ConsumerSetup& c);

}  // namespace hasync::sim
