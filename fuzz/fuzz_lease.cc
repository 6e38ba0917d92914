// fuzz_lease: lease records (src/pool/lease.h) and their merge after a split-brain
// (src/pool/merge.h), on values a peer or an old build could have written.
//
// Input: byte 0 picks the key (an address of the pool "10.0.0.0/28", or one outside it), byte 1
// the two sides' origins and deletes, bytes 2-3 their HLC stamps (small, so ties happen), byte 4
// where the rest splits into the local and the incoming value.
//
// Checks, besides "no crash, no sanitizer report":
//  - a value DecodeLease accepts encodes back to the same bytes (no field lost or reread);
//  - the merge never asks for a write of its own: the choice is keep or take;
//  - it is deterministic, and whichever node of the pair merges, with the two records on either
//    side, the same record wins (two different writes; equal ones are kept as they are), so the
//    pair converges on one lease whichever node stays active.
#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "pool/address_space.h"
#include "pool/lease.h"
#include "pool/merge.h"
#include "pool/share.h"

namespace {

using hasync::MergeChoice;
using hasync::MergeDecision;
using hasync::MergeRecord;
using hasync::NodeId;
using namespace hasync::pool;  // NOLINT: a small harness

constexpr size_t kHeaderBytes = 5;
constexpr std::array<NodeId, 4> kOrigins = {1, 2, 3, 1};  // 3: a node of neither view

void CheckReencodes(std::string_view value) {
  hasync::Result<LeaseRecord> decoded = DecodeLease(value);
  if (!decoded.ok()) return;
  std::string again;
  EncodeLease(decoded.value(), &again);
  if (again != value) __builtin_trap();
}

MergeState View(NodeId self, NodeId peer) {
  static const std::vector<std::string> kRanges = {"10.0.0.0/28"};
  AddressSpace space = AddressSpace::Create(kRanges, {}).value();
  ShareMap shares(hasync::ShareRule::kOddEven, space.size(), self, peer);
  return MergeState{"fuzz", std::move(space), shares, self, peer, 0, {}};
}

bool Kept(const MergeDecision& d) {
  if (d.choice != MergeChoice::kKeepLocal && d.choice != MergeChoice::kTakeIncoming) {
    __builtin_trap();
  }
  return d.choice == MergeChoice::kKeepLocal;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  CheckReencodes(input);
  if (size < kHeaderBytes) return 0;
  // Addresses 10.0.0.0 to 10.0.0.15, or (16) one outside the pool.
  const std::string key = "10.0.0." + std::to_string(data[0] % 17);
  const std::string_view rest = input.substr(kHeaderBytes);
  const size_t cut = rest.empty() ? 0 : data[4] % (rest.size() + 1);
  MergeRecord local{key, rest.substr(0, cut), data[2], kOrigins[data[1] & 3], (data[1] & 16) != 0};
  MergeRecord incoming{key, rest.substr(cut), data[3], kOrigins[(data[1] >> 2) & 3],
                       (data[1] & 32) != 0};
  if (local.deleted) local.value = {};
  if (incoming.deleted) incoming.value = {};
  CheckReencodes(local.value);
  CheckReencodes(incoming.value);

  static MergeState node1 = View(1, 2);
  static MergeState node2 = View(2, 1);
  const bool kept = Kept(MergeLeases(node1, local, incoming));
  if (Kept(MergeLeases(node1, local, incoming)) != kept) __builtin_trap();
  const bool same_write = local.stamp == incoming.stamp && local.origin == incoming.origin;
  // Node 2 active, holding what node 1 held as incoming: it must keep that one exactly when
  // node 1 took it.
  const bool kept_by_other = Kept(MergeLeases(node2, incoming, local));
  if (!same_write && kept_by_other == kept) __builtin_trap();
  node1.log.clear();
  node2.log.clear();
  return 0;
}
