#include "hasync/types.h"

namespace hasync {

std::string_view RoleName(Role role) {
  switch (role) {
    case Role::kInit:
      return "init";
    case Role::kActive:
      return "active";
    case Role::kStandby:
      return "standby";
  }
  return "unknown";
}

std::string_view SyncStateName(SyncState state) {
  switch (state) {
    case SyncState::kIdle:
      return "idle";
    case SyncState::kBulkSending:
      return "bulk_sending";
    case SyncState::kBulkReceiving:
      return "bulk_receiving";
    case SyncState::kReconciling:
      return "reconciling";
  }
  return "unknown";
}

std::string_view WriteIntentName(WriteIntent intent) {
  switch (intent) {
    case WriteIntent::kUpdate:
      return "update";
    case WriteIntent::kAllocate:
      return "allocate";
    case WriteIntent::kRelease:
      return "release";
  }
  return "unknown";
}

std::string_view SplitBrainRuleName(SplitBrainRule rule) {
  switch (rule) {
    case SplitBrainRule::kPriorityFirst:
      return "priority";
    case SplitBrainRule::kLongestActiveFirst:
      return "longest-active";
  }
  return "unknown";
}

}  // namespace hasync
