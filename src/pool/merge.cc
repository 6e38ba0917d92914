#include "pool/merge.h"

#include <algorithm>
#include <optional>

#include "fmt/format.h"
#include "pool/lease.h"

namespace hasync::pool {

namespace {

bool Overlap(const LeaseRecord& a, const LeaseRecord& b) {
  return a.state == LeaseState::kLeased && b.state == LeaseState::kLeased &&
         std::max(a.granted_ms, b.granted_ms) < std::min(a.expires_ms, b.expires_ms);
}

MergeDecision Keep(bool local) {
  return {local ? MergeChoice::kKeepLocal : MergeChoice::kTakeIncoming, {}};
}

}  // namespace

MergeDecision MergeLeases(MergeState& state, const MergeRecord& local,
                          const MergeRecord& incoming) {
  std::optional<uint64_t> ordinal = state.space.OrdinalOf(local.key);
  const NodeId owner = ordinal && state.shares.Owns(*ordinal) ? state.self : state.peer;
  if (local.deleted || incoming.deleted) {
    // A lease the owner wrote outlives the other node's delete (an earlier reclaim that a
    // clock running ahead would otherwise rank later): only the owner reuses its addresses.
    const MergeRecord& live = local.deleted ? incoming : local;
    const MergeRecord& gone = local.deleted ? local : incoming;
    Result<LeaseRecord> lease = DecodeLease(live.value);
    if (ordinal && !live.deleted && lease.ok() && lease->state == LeaseState::kLeased &&
        live.origin == owner && gone.origin != owner) {
      return Keep(!local.deleted);
    }
    return LastWriterWins(local, incoming);
  }
  Result<LeaseRecord> mine = DecodeLease(local.value);
  Result<LeaseRecord> theirs = DecodeLease(incoming.value);
  if (!mine.ok() || !theirs.ok() || !ordinal) return LastWriterWins(local, incoming);
  MergeDecision decision = LastWriterWins(local, incoming);
  if ((local.origin == owner) != (incoming.origin == owner)) {
    decision = Keep(local.origin == owner);
  }
  if (mine->client != theirs->client && Overlap(*mine, *theirs)) {
    ++state.duplicates;
    const bool kept_local = decision.choice == MergeChoice::kKeepLocal;
    state.log.push_back(fmt::format(
        "pool {}: duplicate lease of {}: client {} (granted {} by node {}) and client {} "
        "(granted {} by node {}); {} keeps it, the other is refused at its next renewal",
        state.pool, local.key, mine->client, mine->granted_ms, local.origin, theirs->client,
        theirs->granted_ms, incoming.origin, kept_local ? mine->client : theirs->client));
  }
  return decision;
}

}  // namespace hasync::pool
