#include "hasync/pool.h"

namespace hasync {

std::string_view PoolScopeName(PoolScope scope) {
  switch (scope) {
    case PoolScope::kNone:
      return "none";
    case PoolScope::kWaiting:
      return "waiting";
    case PoolScope::kOwnShare:
      return "own-share";
    case PoolScope::kWholePool:
      return "whole-pool";
  }
  return "unknown";
}

std::string_view LeaseStateName(LeaseState state) {
  switch (state) {
    case LeaseState::kLeased:
      return "leased";
    case LeaseState::kReleased:
      return "released";
    case LeaseState::kExpired:
      return "expired";
  }
  return "unknown";
}

std::string_view ShareRuleName(ShareRule rule) {
  return rule == ShareRule::kHalves ? "halves" : "odd-even";
}

}  // namespace hasync
