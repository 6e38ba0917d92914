// ConsumerTamper: the --break modes of consumers (sim/tamper.h lists every mode), which plant a
// defect on the consumer connections so that each consumer invariant can be shown to catch it.
// Frames are rewritten after the simulator's checks read them (so the checks see what the
// publisher or the session really sent) and re-encoded with valid sequence numbers and
// checksums, so neither end can tell:
//  - consumer-skip-section: every replay loses the records of its lowest reset section that it
//    carries (the publisher "forgot" to replay one section): consumer_converges;
//  - consumer-replay-in-sync: a consumer in sync with the node it says hello to reports its
//    ops with another term, so the node finds no fork and replays: in_sync_no_replay;
//  - consumer-full-replay: a consumer that holds something and is not in sync reports that it
//    holds nothing, so the node replays everything: replay_bounded;
//  - consumer-drop-op: one update that is a whole op never reaches its consumer (the later
//    frames renumbered): consumer_ops_ordered.
// Nothing is tampered with before kBreakNotBefore.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "sim/consumer_links.h"
#include "sim/tamper.h"

namespace hasync::sim {

bool IsConsumerBreak(BreakMode mode);

class ConsumerTamper {
 public:
  // Whether consumer `c` is in sync with node `slot` now (ConsumerChecks::InSync).
  using InSync = std::function<bool(size_t c, int slot)>;

  ConsumerTamper(BreakMode mode, InSync in_sync) : mode_(mode), in_sync_(std::move(in_sync)) {}

  // Each returns a note for the trace when it changed something, else "".
  std::string ToConsumer(ConnId conn, core::TimePoint now, std::vector<Frame>& frames);
  std::string ToNode(size_t consumer, int slot, core::TimePoint now, std::vector<Frame>& frames);

 private:
  std::string SkipSection(Frame& frame);
  std::string DropOp(ConnId conn, core::TimePoint now, std::vector<Frame>& frames);

  BreakMode mode_;
  InSync in_sync_;
  bool dropped_ = false;
  std::map<ConnId, uint64_t> seq_shift_;  // frames dropped so far on a connection
};

}  // namespace hasync::sim
