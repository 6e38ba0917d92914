// History: every client write a node applied, with its rank, and the writes the pair
// acknowledged as kReplicated; the acked_survives_crash and no_lost_write invariants read it.
//
// A write's *rank* is its (HLC stamp, origin node id), the order in which last-writer-wins
// merges (include/hasync/merge.h). "Later" here means ranked higher, not issued later: a write
// the merge ranks above another supersedes it wherever the two meet, and the HLC makes a write
// made after seeing another rank above it. A postponed write is a "maybe" write until it
// completes: it may have run already, at a rank not known yet (a replicated one completes only
// once acknowledged), so its value (or, for a delete, the key's absence) is accepted wherever a
// write of some rank is needed. Its completion tells whether and at which rank it ran; if its
// node dies first, it stays a maybe write.
//
// One exception to rank order: a delete's tombstone is purged once the peer acknowledged it, so
// a node that then crashes, restarts empty with a wall clock behind the deleter's, and writes the
// key again (later in real time, unaware of the delete) makes a write ranked below the delete
// that the merge rightly keeps: nothing remembers the delete. A write made by a node life that
// began after a delete was applied therefore also supersedes that delete (and only a delete: a
// live record is never purged, so a merge must rank it), and with it whatever the delete
// superseded.
//
// acked_survives_crash: per key, the last write acknowledged as replicated (rank A). A node
// *holds* the key when it is guaranteed to have a write ranked >= A: both nodes the moment A is
// acknowledged (the active applied it, the standby acknowledged it on a live connection). A node
// stops holding its keys when it crashes (its store dies with it); a node that receives a bulk
// sync mirrors its sender (from the bulk begin it holds only what the sender holds, from the EOF
// exactly what the sender holds); an active that has processed a reconciliation's EOF holds, in
// addition, every key its sender held (the merge keeps the higher rank). So a lost acknowledged
// write is reported only when a node that was guaranteed to have it does not, i.e. after a
// single failure, never after the double failures the guarantee does not cover.
//
// no_lost_write: a write is *safe* while the node that applied it runs the same life (has not
// crashed since). See Lost(). The address pools' tables (pool/<name>) are left to the pool
// clients' checks (pool_clients.h), which track who keeps a lease the same way.
#pragma once

#include <array>
#include <compare>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/config.h"
#include "hasync/types.h"
#include "store/store.h"

namespace hasync::sim {

struct KeyRef {
  std::string table;
  std::string key;
  auto operator<=>(const KeyRef&) const = default;
};

struct Rank {
  uint64_t stamp = 0;  // HLC: ms since the epoch << 16 | counter
  NodeId origin = 0;
  auto operator<=>(const Rank&) const = default;
};
std::string ShowRank(Rank rank);  // "1767225600123.4@n2"

// The node life that applied a write, and when.
struct Writer {
  int slot = 0;
  uint64_t incarnation = 0;    // World::incarnation of the slot
  core::TimePoint started{0};  // when that life began
  core::TimePoint at{0};       // when it applied the write
};

class History {
 public:
  // `writer` applied a write of rank `rank`; nullopt value: a delete.
  void Applied(const KeyRef& key, Rank rank, std::optional<std::string> value,
               const Writer& writer);
  // A write was postponed: a maybe write until Ran or NotRun.
  void Postponed(const KeyRef& key, std::optional<std::string> value);
  // The postponed write that set `value` ran with `rank` (as Applied) / never ran.
  void Ran(const KeyRef& key, const std::optional<std::string>& value, Rank rank,
           const Writer& writer);
  void NotRun(const KeyRef& key, const std::optional<std::string>& value);
  // The kReplicated write of rank `rank` was acknowledged; `holders`: mask of node slots.
  void Acked(const KeyRef& key, Rank rank, uint8_t holders);
  void NodeLost(int slot);
  void BulkBegin(int receiver, int sender);
  void BulkEnd(int receiver, int sender);
  // The active `receiver` processed the EOF of a reconciliation from `sender`.
  void Reconciled(int receiver, int sender);

  // "" if node `slot` holds, for every key it is a holder of, the acknowledged write or a later
  // one; otherwise what is missing.
  std::string Check(int slot, const store::Store& store) const;
  // "" unless a bulk sync from `sender` (holding `sender_store`) is about to make `receiver` lose
  // an acknowledged write it holds; otherwise which.
  std::string Discards(int receiver, int sender, const store::Store& sender_store) const;
  // no_lost_write, for the store of node `who` at a convergence; `lives[slot]` is the running
  // life (incarnation) of each node, 0 if it is down. For every key: the record held must be
  // the value of a write of exactly its rank, and that write must supersede every safe write to
  // the key (rank at or above it, or the exception above); an absent key needs a delete ranked
  // at or above every safe write that is not a delete. Records no client wrote fail too. "" if
  // all hold; otherwise the first key that does not.
  std::string Lost(const store::Store& store, std::string_view who,
                   const std::array<uint64_t, 2>& lives) const;

  size_t writes() const { return writes_; }

 private:
  struct Write {
    Rank rank;
    std::optional<std::string> value;  // nullopt: a delete
    Writer writer;
    bool known = true;  // false: a maybe write, rank unknown
  };
  struct KeyState {
    std::vector<Write> writes;   // in the order the simulator learnt of them
    std::optional<Write> acked;  // the last acknowledged replicated write
    uint8_t holders = 0;         // bit per node slot
  };
  // `w` takes the place of `s` wherever the two meet: ranked at or above it, or (for a delete)
  // made by a node life that began after it.
  static bool Supersedes(const Write& w, const Write& s);
  // Supersedes, directly or through one of the key's deletes.
  static bool Follows(const std::vector<Write>& writes, const Write& w, const Write& s);
  static bool Allowed(const KeyState& k, const std::optional<std::string>& value);
  // Lost() for one key; counts the key in `*held_count` (if given) when the store holds it.
  std::string LostKey(const KeyRef& key, const KeyState* k, const store::Store& store,
                      std::string_view who, const std::array<uint64_t, 2>& lives,
                      size_t* held_count) const;

  std::map<KeyRef, KeyState> keys_;
  size_t writes_ = 0;
};

}  // namespace hasync::sim
