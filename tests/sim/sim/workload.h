// Workload: the simulated clients. During chaos phases they write to the node they believe is
// active (sometimes to the other one, which must refuse): puts and erases over 200 keys in two
// tables, so keys are overwritten and deleted often, values of 0..300 bytes that carry the
// write's serial, kAsync or kReplicated durability, sometimes several writes in one turn so
// they share a batch.
//
// Checks made here:
//  write_refusal    a node that is not active refuses with kNotActive; the active accepts or
//                   refuses only with kUnavailable (no standby for a replicated write, a
//                   switchover in progress) or kNotFound (erase of a missing key); a kReplicated
//                   write that is accepted is pending.
//  write_completes  a pending kReplicated write completes within replicate_timeout, unless its
//                   node crashed; a completion names a token that was pending on that node.
#pragma once

#include <cstdint>
#include <map>
#include <optional>

#include "core/node.h"
#include "sim/history.h"

namespace hasync::sim {

class World;

class Workload {
 public:
  explicit Workload(World* world) : w_(world) {}

  // Writes from now until `until`.
  void Run(core::TimePoint until);
  // A WriteCompleted event from node `slot`. Returns when the write was issued if it succeeded.
  std::optional<core::TimePoint> Completed(int slot, uint64_t token, const Status& status);
  void NodeLost(int slot);
  void CheckPending();
  uint64_t writes() const { return writes_; }

 private:
  void Tick(core::TimePoint until);
  void WriteOne(core::Node& node, int slot);

  struct Pending {
    int slot;
    KeyRef key;
    uint64_t serial;
    core::TimePoint issued;
  };
  World* w_;
  std::map<uint64_t, Pending> pending_;  // by token, which grows with issue time
  uint64_t next_token_ = 1;
  uint64_t next_serial_ = 1;
  uint64_t writes_ = 0;
};

}  // namespace hasync::sim
