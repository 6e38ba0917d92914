// The default merge rule (include/hasync/merge.h).
#include "hasync/merge.h"

namespace hasync {

MergeDecision LastWriterWins(const MergeRecord& local, const MergeRecord& incoming) {
  bool newer =
      incoming.stamp != local.stamp ? incoming.stamp > local.stamp : incoming.origin > local.origin;
  return {newer ? MergeChoice::kTakeIncoming : MergeChoice::kKeepLocal, {}};
}

}  // namespace hasync
