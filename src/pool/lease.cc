#include "pool/lease.h"

#include "fmt/format.h"

namespace hasync::pool {

Status CheckClientId(std::string_view client) {
  if (client.empty()) return InvalidArgument("empty client id");
  if (client.size() > kMaxClientBytes) {
    return InvalidArgument(
        fmt::format("client id of {} bytes; at most {}", client.size(), kMaxClientBytes));
  }
  for (char c : client) {
    if (c < 0x20 || c > 0x7e) {
      return InvalidArgument("client id with a byte outside printable ASCII; encode it (hex)");
    }
  }
  return Status::Ok();
}

void EncodeLease(const LeaseRecord& lease, std::string* out) {
  out->clear();
  out->reserve(kLeaseHeaderBytes + lease.client.size());
  out->push_back(static_cast<char>(kLeaseFormat));
  out->push_back(static_cast<char>(lease.state));
  for (uint64_t field : {lease.granted_ms, lease.expires_ms}) {
    for (int i = 0; i < 8; ++i) out->push_back(static_cast<char>(field >> (8 * i)));
  }
  out->append(lease.client);
}

namespace {

uint64_t ReadU64(std::string_view bytes) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = v << 8 | static_cast<uint8_t>(bytes[i]);
  return v;
}

}  // namespace

Result<LeaseRecord> DecodeLease(std::string_view value) {
  if (value.size() < kLeaseHeaderBytes + 1) {
    return InvalidArgument(
        fmt::format("lease of {} bytes; at least {}", value.size(), kLeaseHeaderBytes + 1));
  }
  if (static_cast<uint8_t>(value[0]) != kLeaseFormat) {
    return InvalidArgument(fmt::format("lease format {}; this build reads {}",
                                       static_cast<uint8_t>(value[0]), kLeaseFormat));
  }
  uint8_t state = static_cast<uint8_t>(value[1]);
  if (state < static_cast<uint8_t>(LeaseState::kLeased) ||
      state > static_cast<uint8_t>(LeaseState::kExpired)) {
    return InvalidArgument(fmt::format("lease state {} unknown", state));
  }
  LeaseRecord lease;
  lease.state = static_cast<LeaseState>(state);
  lease.granted_ms = ReadU64(value.substr(2, 8));
  lease.expires_ms = ReadU64(value.substr(10, 8));
  lease.client = value.substr(kLeaseHeaderBytes);
  if (lease.client.size() > kMaxClientBytes) {
    return InvalidArgument(fmt::format("lease client id of {} bytes; at most {}",
                                       lease.client.size(), kMaxClientBytes));
  }
  return lease;
}

}  // namespace hasync::pool
