// How the leases of a pool merge after a split-brain (docs/pools.md#merge), per address:
//  - a lease written by the owner of the address's share against the other node's delete: the
//    lease stays (only the owner reuses its addresses, so the delete is an older reclaim,
//    ranked later only by a clock running ahead);
//  - otherwise a delete on either side, or a record that does not decode: last writer wins,
//    as for any table;
//  - two records, one written by the owner of the address's share: the owner's wins, for the
//    same client too. While the peer was unreachable only the owner could grant or extend that
//    address, so the owner's record is the current one (the other side's is an old lease the
//    owner saw end, or a release the owner did not hear of: the lease then runs to its end).
//    Comparing stamps would let a clock running ahead decide. If neither or both records were
//    written by the owner, last writer wins.
// If the two clients' leases overlap in time (both leased, each granted before the other
// ended), two clients really held the address: a duplicate, which only a wrong partner-down
// or a change of the pool's configuration can cause. It is counted and logged with both
// clients; the losing client is refused at its next renewal and allocates again.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "hasync/merge.h"
#include "pool/address_space.h"
#include "pool/share.h"

namespace hasync::pool {

// Shared by a pool and the merge function it installed on the node (which may outlive it).
struct MergeState {
  std::string pool;
  AddressSpace space;
  ShareMap shares;
  NodeId self = 0;
  NodeId peer = 0;
  uint64_t duplicates = 0;
  std::vector<std::string> log;  // drained by the pool's TakeLog
};

MergeDecision MergeLeases(MergeState& state, const MergeRecord& local, const MergeRecord& incoming);

}  // namespace hasync::pool
