// Invariants: the properties checked after every step of a simulation, each by name.
//
//  single_active      Never two actives on a healthy link. A dual-active *episode* starts when
//                     both nodes are active, both report peer.connected on the same live
//                     connection, and the link is not partitioned. Some such episodes are
//                     legitimate and brief (a switchover: the standby takes over and answers;
//                     the old active yields when the answer arrives; a healed split-brain: each
//                     learns of the other from its hello), so an episode is a violation only once
//                     every byte either node had sent when it began has been delivered and
//                     processed and both are still active: by then each has seen whatever made
//                     the other active, and election must have resolved it. A partition, a
//                     close, tampering or any role change ends the episode.
//  acked_survives_crash  After a crash, the survivor holds, for every key whose last write was
//                     acknowledged as kReplicated, that write or one that supersedes it (see
//                     history.h for which node is guaranteed to hold what, and for
//                     "supersedes"). Also checked when a quiet window converges and when a bulk
//                     EOF is delivered. And when a bulk sync begins, its sender must not be about
//                     to wipe acknowledged writes from a receiver that holds them: a node that
//                     restarted empty and took the active role alone meets its peer as a
//                     split-brain, whose reconciliation brings it the peer's records before it
//                     bulk-syncs, so there is no exception.
//  no_lost_write      At every quiet-window convergence, on both nodes, for every key (of every
//                     table but the address pools', which pool_store_unique checks): the record
//                     held is the value of an actual write of exactly its rank (HLC stamp,
//                     origin), and that write supersedes every *safe* write to the key (one
//                     applied, at once or as a postponed write that ran, on a node that has not
//                     crashed since): it ranks at or above it, or the safe write is a delete and
//                     the record was written by a node life that began after it (history.h);
//                     an absent key needs a delete ranked at or above every safe write that is
//                     not a delete. So no write is lost unless the merge rule ranked another
//                     above it, and a deleted key never reappears without a later write.
//  quiet_equal        Whenever the pair is quiescent and in sync (both running and connected,
//                     nothing in flight, one active whose peer is in sync, no bulk sync or
//                     reconciliation either way) the two stores have equal digests and record
//                     counts; once per quiet window the full record sets are compared too.
//  bulk_complete      When a bulk EOF has just been delivered to a standby (the network splits
//                     the stream right after it), the standby holds exactly the records its
//                     active held when it sent the EOF.
//  sync_digest        No node ever closes the channel with kDigestMismatch or logs a "digest
//                     mismatch": after a sync the stores are equal by construction.
//  roles_sane         At quiescence with the channel up, exactly one active and one standby.
//  status_consistent  A node's status agrees with its store (records), its sync state with its
//                     role (a bulk sync is sent by an active and received by a standby; a
//                     reconciliation involves both), postponed writes exist only on an active
//                     that is reconciling (or that has asked for a switchover: they then wait for
//                     its outcome, to fail if it hands over) and never beyond
//                     max_postponed_writes, and it never reports a peer over a channel its
//                     driver closed.
//  hlc                A node's status hlc never decreases within one life; the stamps of the
//                     writes it applies at once strictly increase and never run behind its wall
//                     clock (checked in workload.cc).
//  liveness           Each quiet window ends with the pair connected, in sync and equal.
//  write_refusal, write_completes, postponed_served (workload.h), wire_valid (frames.h); in
//  seeds with an address pool, pool_unique, pool_store_unique, pool_scope and pool_served
//  (pool_clients.h); in seeds with consumers, consumer_ops_ordered, in_sync_no_replay,
//  replay_bounded, consumer_converges and channel_unique (consumer_checks.h) complete the list.
#pragma once

#include <array>
#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/node.h"
#include "sim/frames.h"
#include "sim/snapshot.h"

namespace hasync::sim {

class World;

// What status_consistent compares a node's status with.
struct StatusContext {
  uint64_t tables_records = 0;      // the sum of the store's table sizes
  bool endpoint_open = true;        // the driver's view of the channel
  size_t max_postponed = 0;         // the node's max_postponed_writes
  bool switchover_pending = false;  // the driver asked a switchover and has no answer yet
};

// status_consistent for one node, as a pure function (unit-tested with fabricated input).
std::string CheckStatus(const core::NodeStatus& st, const StatusContext& context);

class Invariants {
 public:
  explicit Invariants(World* world) : w_(world) {}

  void AfterStep();
  // Node `slot`'s status as of the end of the last step (what any event sees on entry, since
  // nothing changes a node between steps); for running nodes only.
  const core::NodeStatus& status(int slot) const { return statuses_[slot]; }
  // The driver is calling into node `slot`: its status must be read again after this step
  // (a node changes only when called).
  void Touched(int slot) { touched_[slot] = true; }
  void AfterCrash(int slot);
  // Any role change ends a dual-active episode (a node may yield and take over again within
  // one step, e.g. a switchover answered and a new one accepted in the same read).
  void RoleChanged() { dual_.on = false; }
  void FrameSent(int from, const Frame& frame, uint64_t end);
  // The driver has finished a call into node `slot` (its last effects are out); `overflowed`:
  // the node gave up its incremental stream during the call (writes went unsent).
  void CallDone(int slot, bool overflowed);
  void Delivered(int to);
  void NodeStarted(int slot);
  // Under a --break mode that rewrote records, node `slot` closed the channel on a digest
  // mismatch: the EOF it had just read was processed nonetheless.
  void DigestMismatch(int slot);
  void QuietBegin();
  void QuietEnd();

 private:
  using Statuses = std::array<core::NodeStatus, 2>;  // valid for running nodes only
  void CheckSingleActive(const Statuses& st);
  void CheckQuiescent(const Statuses& st);
  void CheckNoLostWrite();

  // A write the sender streamed after a bulk EOF, in the same call: (table, key) and the value,
  // nullopt for a delete.
  using Streamed = std::pair<Snapshot::key_type, std::optional<std::string>>;
  struct Mark {
    uint64_t conn = 0;
    uint64_t end = 0;  // stream offset just past the frame
    wire::MsgType type = wire::MsgType::kBulkBegin;
    bool reconcile = false;    // a reconciliation's begin or EOF, not a bulk sync's
    uint64_t incarnation = 0;  // of the sender
    // Bulk kRecordEof. The sender's store can be read only once its call is over, and the call
    // may have gone on writing after the EOF (postponed writes run when a reconciliation ends):
    // the store at the end of the call is `sender` (its digest and size, and the records
    // themselves when `after` is not empty), and `after` what it streamed after the EOF, so
    // the receiver held at the EOF exactly `sender` with `after` undone. `open` until the call
    // ends; `inexact` if anything but incremental records followed the EOF in the call, or if
    // the call gave up the incremental stream (its writes after the EOF were not sent).
    uint64_t sender_digest = 0;
    uint64_t sender_records = 0;
    Snapshot sender;
    std::vector<Streamed> after;
    bool open = false;
    bool inexact = false;
  };
  void CheckEof(int to, int from, const Mark& mark);

  struct Episode {
    bool on = false;
    uint64_t conn = 0;
    std::array<uint64_t, 2> sent{};  // bytes each node had sent when it began
    core::TimePoint since{0};
  };

  World* w_;
  Statuses statuses_{};
  std::array<bool, 2> touched_{};
  std::array<std::deque<Mark>, 2> marks_;  // by sender
  Episode dual_;
  std::array<uint64_t, 2> hlc_{};  // last status hlc, per node life
  // Connection each node last closed on a digest mismatch (under --break), ~0 for none.
  std::array<uint64_t, 2> digest_closed_{~uint64_t{0}, ~uint64_t{0}};
  bool quiet_ = false;
  core::TimePoint quiet_since_{0};
  bool converged_ = false;
};

}  // namespace hasync::sim
