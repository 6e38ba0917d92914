// Merge: how a node combines a record it receives in a reconciliation with the copy it holds
// (seed 000, claim 16). Only the active merges: the yielding node sends it every record, the
// active decides each one, then resynchronises the yielder with a bulk sync, so both end with
// the active's decisions whatever the function does.
//
// The default is last writer wins: every write (a delete too) is stamped with the writer's
// hybrid logical clock (HLC) and node id, and the pair with the larger (stamp, origin) wins.
// The clock never runs behind anything its node has seen, so a write made after seeing another
// outranks it; only writes made on both sides of a split-brain, unaware of each other, are
// ordered by their physical clocks. A deleted record is a tombstone with its own stamp, so a
// record deleted on one side stays deleted unless the other side wrote it after the delete.
//
// An application may install its own function per table (Replica::SetMergeFunction). It must
// be deterministic (a pure function of its arguments) and fast: it runs on the replication
// thread, once per record that both sides hold.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "hasync/types.h"

namespace hasync {

// One side of a merge. `deleted`: a tombstone (empty value).
struct MergeRecord {
  std::string_view key;
  std::string_view value;
  uint64_t stamp = 0;  // HLC: milliseconds since the Unix epoch << 16 | logical counter
  NodeId origin = 0;   // node that made the write
  bool deleted = false;
};

enum class MergeChoice : uint8_t {
  kKeepLocal = 0,     // the local copy stays as it is
  kTakeIncoming = 1,  // the received record (or its delete) replaces the local copy
  kWrite = 2,         // `value` is written as a new local write (new stamp, this node's id)
};

struct MergeDecision {
  MergeChoice choice = MergeChoice::kKeepLocal;
  std::string value;  // for kWrite only
};

using MergeFunction =
    std::function<MergeDecision(const MergeRecord& local, const MergeRecord& incoming)>;

// The default: the larger (stamp, origin) wins; equal pairs are the same write (kKeepLocal).
MergeDecision LastWriterWins(const MergeRecord& local, const MergeRecord& incoming);

}  // namespace hasync
