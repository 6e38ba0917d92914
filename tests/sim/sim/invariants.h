// Invariants: the properties checked after every step of a simulation, each by name.
//
//  single_active      Never two actives on a healthy link. A dual-active *episode* starts when
//                     both nodes are active, both report peer.connected on the same live
//                     connection, and the link is not partitioned. Some such episodes are
//                     legitimate and brief (a switchover: the standby takes over and answers;
//                     the old active yields when the answer arrives), so an episode is a
//                     violation only once every byte either node had sent when it began has been
//                     delivered and processed and both are still active: by then each has seen
//                     whatever made the other active, and election must have resolved it. A
//                     partition, a close, tampering or any role change ends the episode.
//  acked_survives_crash  After a crash, the survivor holds, for every key whose last write was
//                     acknowledged as kReplicated, that value or a later write's (see history.h
//                     for which node is guaranteed to hold what). Also checked when a quiet
//                     window converges and when a bulk EOF is delivered. And when a bulk sync
//                     begins, its sender must not be about to wipe acknowledged writes from a
//                     receiver that holds them, unless the sender restarted (or booted) empty and
//                     a partition or delay spike kept it from its peer since: the only excuse is
//                     a second failure that hid the peer's data from it.
//  quiet_equal        Whenever the pair is quiescent and in sync (both running and connected,
//                     nothing in flight, one active whose peer is in sync, no bulk sync either
//                     way) the two stores have equal digests and record counts; once per quiet
//                     window the full record sets are compared too.
//  bulk_complete      When a bulk EOF has just been delivered to a standby (the network splits
//                     the stream right after it), the standby holds exactly the records its
//                     active held when it sent the EOF.
//  roles_sane         At quiescence with the channel up, exactly one active and one standby.
//  status_consistent  A node's status agrees with its store (records), its sync state with its
//                     role, and it never reports a peer over a channel its driver closed.
//  liveness           Each quiet window ends with the pair connected, in sync and equal.
//  write_refusal, write_completes (workload.h), wire_valid (frames.h) complete the list.
#pragma once

#include <array>
#include <cstdint>
#include <deque>
#include <string>

#include "core/node.h"
#include "sim/frames.h"
#include "sim/snapshot.h"

namespace hasync::sim {

class World;

// status_consistent for one node, as a pure function (unit-tested with fabricated input).
// `tables_records`: the sum of the store's table sizes; `endpoint_open`: the driver's view.
std::string CheckStatus(const core::NodeStatus& st, uint64_t tables_records, bool endpoint_open);

class Invariants {
 public:
  explicit Invariants(World* world) : w_(world) {}

  void AfterStep();
  void AfterCrash(int slot);
  // Any role change ends a dual-active episode (a node may yield and take over again within
  // one step, e.g. a switchover answered and a new one accepted in the same read).
  void RoleChanged() { dual_.on = false; }
  void FrameSent(int from, const Frame& frame, uint64_t end);
  void Delivered(int to);
  void NodeStarted(int slot);
  void NetworkFault();  // a partition or a delay spike begins
  void QuietBegin();
  void QuietEnd();

 private:
  using Statuses = std::array<core::NodeStatus, 2>;  // valid for running nodes only
  void CheckSingleActive(const Statuses& st);
  void CheckQuiescent(const Statuses& st);
  void CheckEof(int to, int from, const Snapshot& expected);

  struct Mark {
    uint64_t conn;
    uint64_t end;  // stream offset just past the frame
    wire::MsgType type;
    uint64_t incarnation;  // of the sender
    Snapshot sender;       // kRecordEof: what the sender held when it sent it
  };
  struct Episode {
    bool on = false;
    uint64_t conn = 0;
    std::array<uint64_t, 2> sent{};  // bytes each node had sent when it began
    core::TimePoint since{0};
  };

  World* w_;
  std::array<std::deque<Mark>, 2> marks_;  // by sender
  Episode dual_;
  std::array<bool, 2> fresh_{};     // started empty, no bulk sync received since
  std::array<bool, 2> isolated_{};  // a partition or spike happened while it was fresh
  bool quiet_ = false;
  core::TimePoint quiet_since_{0};
  bool converged_ = false;
};

}  // namespace hasync::sim
