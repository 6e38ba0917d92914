// LeaseIndex: the leases of one pool as the allocator needs them, derived from its table:
// by address ordinal (ordered, for listing), by client, per share (for exhaustion), and by
// deadline (for the expiry sweep).
//
// It is a view of the table, never a second source of truth: it observes the table
// (store/table_observer.h) and follows every change to it, whoever makes it: the pool's own
// writes, a standby's replicated records, a merge, a bulk sync. So the index cannot disagree
// with the records the pair replicates and merges, and a new active has it ready.
//
// A record whose key is not an address of the pool (its ranges changed) is only counted; one
// whose value does not decode holds its address for nobody known, expired, so the sweep
// reclaims it and it is never handed out meanwhile.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <queue>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "pool/address_space.h"
#include "pool/lease.h"
#include "pool/share.h"
#include "store/table.h"
#include "store/table_observer.h"

namespace hasync::pool {

struct IndexedLease {
  std::string client;
  LeaseState state = LeaseState::kLeased;
  uint64_t granted_ms = 0;
  uint64_t expires_ms = 0;
};

class LeaseIndex : public store::TableObserver {
 public:
  LeaseIndex(const AddressSpace* space, const ShareMap* shares) : space_(space), shares_(shares) {}

  // Forgets everything and reads `table` (nullptr: no table yet, no leases).
  void Rebuild(const store::Table* table);
  void OnLive(std::string_view key, std::string_view value) override;
  void OnGone(std::string_view key) override;
  void OnCleared() override { Rebuild(nullptr); }
  void Set(uint64_t ordinal, IndexedLease lease);
  void Erase(uint64_t ordinal);

  const IndexedLease* Find(uint64_t ordinal) const;
  // The client's best record: a lease over a reserved one, then the latest end.
  std::optional<uint64_t> FindClient(std::string_view client) const;
  // A free ordinal of the share (own or the peer's), walking on from where the last search
  // stopped; nullopt if every address of the share is held.
  std::optional<uint64_t> FindFree(bool own);
  // Ordinals whose deadline is at or before `wall_ms`, at most `limit`, into `out`. With
  // `own_only`, due ordinals of the peer's share are set aside until RestoreDeferred.
  void PopDue(uint64_t wall_ms, size_t limit, bool own_only, std::vector<uint64_t>* out);
  void RestoreDeferred();
  // Puts `ordinal`'s deadline back (its sweep write was refused).
  void Requeue(uint64_t ordinal);

  const std::map<uint64_t, IndexedLease>& held() const { return held_; }
  uint64_t held_in(bool own) const { return own ? own_held_ : peer_held_; }
  uint64_t leased() const { return leased_; }
  uint64_t outside() const { return outside_; }

 private:
  void Count(const IndexedLease& lease, uint64_t ordinal, int delta);
  void PushDeadline(uint64_t ordinal, uint64_t deadline);
  void CompactDeadlines();

  const AddressSpace* space_;
  const ShareMap* shares_;
  std::map<uint64_t, IndexedLease> held_;
  std::unordered_multimap<std::string, uint64_t> by_client_;
  using Deadline = std::pair<uint64_t, uint64_t>;  // (wall ms, ordinal)
  std::priority_queue<Deadline, std::vector<Deadline>, std::greater<>> deadlines_;
  std::vector<uint64_t> deferred_;
  std::array<uint64_t, 2> cursor_{};  // next index to look at, in the own / peer share
  uint64_t own_held_ = 0;
  uint64_t peer_held_ = 0;
  uint64_t leased_ = 0;
  uint64_t outside_ = 0;
};

}  // namespace hasync::pool
