// Workload: the simulated clients. During chaos phases they write to the node they believe is
// active (sometimes to the other one, which must refuse; during a split-brain to either):
// puts and erases over the setup's keys in two tables, so keys are overwritten and deleted often,
// values of 0..300 bytes that carry the write's serial, kAsync or kReplicated durability, some
// marked allocate (puts) or release (erases), sometimes several writes in one turn so they share
// a batch. Seeds with a preload first write that many small records in one turn (table p).
//
// Checks made here:
//  write_refusal    a node that is not active refuses with kNotActive. The active, when it is
//                   reconciling, postpones an allocate/release write (ok, pending, postponed,
//                   stamp 0) unless it already holds max_postponed_writes of them or cannot take
//                   writes at all (kUnavailable); it postpones nothing else, and nothing when it is
//                   not reconciling. Otherwise it accepts (stamped, pending exactly when
//                   kReplicated) or refuses only with kUnavailable (no standby for a replicated
//                   write, a switchover in progress) or kNotFound (erase of a missing key).
//  write_completes  a pending kReplicated write completes within replicate_timeout, unless its
//                   node crashed, with the stamp it was applied with; a completion names a token
//                   that was pending on that node.
//  postponed_served every postponed write completes exactly once (ok, or an error: kTimeout,
//                   kNotActive, kUnavailable, kNotReplicated, kNotFound for an erase) unless its
//                   node crashed, within postpone_timeout (+ replicate_timeout if kReplicated):
//                   it waits at most postpone_timeout in the queue, then, if it ran, at most
//                   replicate_timeout for the standby; both are the core's own timers, so network
//                   delay adds nothing. An ok completion carries the stamp it ran with. A node
//                   never reports more postponed writes than its clients are waiting for.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>

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
  std::optional<core::TimePoint> Completed(int slot, const core::WriteCompleted& done);
  void NodeLost(int slot);
  void CheckPending();
  // Postponed writes node `slot` has not completed yet.
  uint64_t postponed(int slot) const { return postponed_[slot]; }
  bool IsPostponed(uint64_t token) const;
  uint64_t writes() const { return writes_; }
  uint64_t postponed_total() const { return postponed_total_; }

 private:
  void Tick(core::TimePoint until);
  void Preload(core::Node& node, int slot);
  // One client write; `st`: the node's status just before it.
  void WriteOne(core::Node& node, int slot, const core::NodeStatus& st);
  // The hlc check of a write node `slot` applied at once with `stamp`.
  void Stamped(int slot, uint64_t stamp);

  struct Pending {
    int slot;
    KeyRef key;
    std::optional<std::string> value;  // nullopt: an erase
    Rank rank;                         // kReplicated: as applied; postponed: not known yet
    core::TimePoint issued;
    core::TimePoint due;
    bool replicated;
    bool postponed;
  };
  World* w_;
  std::map<uint64_t, Pending> pending_;                  // by token
  std::set<std::pair<core::TimePoint, uint64_t>> dues_;  // (due, token), earliest first
  std::set<uint64_t> postponed_done_;  // tokens of postponed writes that completed
  std::array<uint64_t, 2> postponed_{};
  std::array<uint64_t, 2> last_stamp_{};  // of the last write applied at once, per node life
  uint64_t preload_left_ = 0;
  bool preload_started_ = false;
  uint64_t next_token_ = 1;
  uint64_t next_serial_ = 1;
  uint64_t writes_ = 0;
  uint64_t postponed_total_ = 0;
};

}  // namespace hasync::sim
