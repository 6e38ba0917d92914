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
enum class SyncState : uint8_t { kIdle = 0, kBulkSending = 1, kBulkReceiving = 2, kReconciling = 3 };

// When a write returns. kAsync: once applied on the active. kReplicated: once the standby has
// acknowledged it, so it survives the crash of either node.
enum class Durability : uint8_t { kAsync = 0, kReplicated = 1 };

std::string_view RoleName(Role role);
std::string_view SyncStateName(SyncState state);

}  // namespace hasync
