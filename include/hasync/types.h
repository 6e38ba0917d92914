// Small vocabulary types shared by every part of hasync: node identity, roles, durability.
#pragma once

#include <cstdint>
#include <string_view>

namespace hasync {

// A node's identity within its cluster, 1..65535. Two nodes of one pair never share an id.
using NodeId = uint16_t;

// The role a node plays in its pair. kInit: started, has not yet decided (it waits a short
// while for its peer before taking the active role alone).
enum class Role : uint8_t { kInit = 0, kActive = 1, kStandby = 2 };

// What a node is doing about synchronisation right now.
enum class SyncState : uint8_t {
  kIdle = 0,
  kBulkSending = 1,
  kBulkReceiving = 2,
  kReconciling = 3
};

// When a write returns. kAsync: once applied on the active. kReplicated: once the standby has
// acknowledged it, so it survives the crash of either node.
enum class Durability : uint8_t { kAsync = 0, kReplicated = 1 };

// What a write means to the application. Reconciliation mode (seed 000, transactions 340/345)
// postpones the writes that allocate or release a session, since the node does not yet know
// every session its peer holds; kUpdate writes (refreshing a session's state) proceed.
enum class WriteIntent : uint8_t { kUpdate = 0, kAllocate = 1, kRelease = 2 };

// Which active node keeps its role when two actives meet (a healed split-brain); the other
// yields and reconciles its records into the one that stays. Ties fall through to the next
// criterion, and node id always decides in the end. Both nodes must be configured alike.
enum class SplitBrainRule : uint8_t {
  kPriorityFirst = 0,       // higher priority, then active longer, then higher node id
  kLongestActiveFirst = 1,  // active longer, then higher priority, then higher node id
};

std::string_view RoleName(Role role);
std::string_view WriteIntentName(WriteIntent intent);
std::string_view SplitBrainRuleName(SplitBrainRule rule);
std::string_view SyncStateName(SyncState state);

}  // namespace hasync
