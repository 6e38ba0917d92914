// The value of a lease record (table "pool/<name>", key: the address in canonical text).
//
// A public contract like the wire format, since both nodes store it and merge it
// (docs/pools.md#lease-records), little-endian:
//   u8  format (1)
//   u8  state (1 leased, 2 released, 3 expired)
//   u64 granted_ms   when this client got this address (renewals keep it)
//   u64 expires_ms   lease end, or grace end for a released or expired lease
//   client id: the remaining 1..255 bytes
// DecodeLease refuses anything else with a message saying what was wrong; a record that does
// not decode is treated as held by nobody known, so its address is never handed out.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "hasync/pool.h"
#include "hasync/status.h"

namespace hasync::pool {

inline constexpr uint8_t kLeaseFormat = 1;
inline constexpr size_t kLeaseHeaderBytes = 18;
inline constexpr size_t kMaxClientBytes = 255;

struct LeaseRecord {
  LeaseState state = LeaseState::kLeased;
  uint64_t granted_ms = 0;
  uint64_t expires_ms = 0;
  std::string_view client;  // views the decoded value
};

// kInvalidArgument for an empty or over-long client id, or one with a byte outside printable
// ASCII (0x20..0x7e): ids go into logs and JSON as they are, so binary ids are given in hex.
Status CheckClientId(std::string_view client);
void EncodeLease(const LeaseRecord& lease, std::string* out);
Result<LeaseRecord> DecodeLease(std::string_view value);

}  // namespace hasync::pool
