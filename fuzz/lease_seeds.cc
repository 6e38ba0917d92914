#include "lease_seeds.h"

#include <string_view>

#include "pool/lease.h"

namespace hasync::fuzz {
namespace {

using pool::LeaseRecord;

std::string Value(LeaseState state, uint64_t granted, uint64_t expires, std::string_view client) {
  std::string out;
  pool::EncodeLease(LeaseRecord{state, granted, expires, client}, &out);
  return out;
}

// fuzz_lease.cc's layout: key byte (10.0.0.<n>, 16: outside the pool), origins and deletes
// (bits 0-1: local origin index, 2-3: incoming, 4: local deleted, 5: incoming deleted; index 0
// is node 1, 1 is node 2), the two stamps, the cut, then the two values.
Bytes Input(uint8_t key, uint8_t flags, uint8_t local_stamp, uint8_t incoming_stamp,
            const std::string& local, const std::string& incoming) {
  Bytes in = {key, flags, local_stamp, incoming_stamp, static_cast<uint8_t>(local.size())};
  in.insert(in.end(), local.begin(), local.end());
  in.insert(in.end(), incoming.begin(), incoming.end());
  return in;
}

constexpr uint64_t kT = 1'767'225'600'000;  // 2026-01-01, ms
constexpr uint8_t kFromNode1ToNode2 = 0 | 1 << 2;
constexpr uint8_t kFromNode2ToNode1 = 1 | 0 << 2;

}  // namespace

std::vector<LeaseSeed> LeaseSeeds() {
  const std::string alice = Value(LeaseState::kLeased, kT, kT + 60'000, "alice");
  const std::string alice_renewed = Value(LeaseState::kLeased, kT, kT + 90'000, "alice");
  const std::string bob = Value(LeaseState::kLeased, kT + 30'000, kT + 90'000, "bob");
  const std::string bob_later = Value(LeaseState::kLeased, kT + 70'000, kT + 130'000, "bob");
  const std::string released = Value(LeaseState::kReleased, kT, kT + 10'000, "aa:bb:cc:dd:ee:ff");
  const std::string expired = Value(LeaseState::kExpired, kT, kT + 70'000, "alice");
  return {
      {"lease_alone", Bytes(alice.begin(), alice.end())},
      {"same_client_renewed", Input(3, kFromNode1ToNode2, 10, 20, alice, alice_renewed)},
      {"duplicate_in_peer_share", Input(3, kFromNode1ToNode2, 20, 10, alice, bob)},
      {"duplicate_in_own_share", Input(2, kFromNode2ToNode1, 20, 10, bob, alice)},
      {"successive_clients", Input(5, kFromNode1ToNode2, 10, 20, alice, bob_later)},
      {"released_then_granted", Input(4, kFromNode2ToNode1, 10, 20, released, bob)},
      {"expired_vs_lease", Input(7, kFromNode1ToNode2, 30, 30, expired, bob)},
      {"same_stamp_same_origin", Input(6, 0, 40, 40, alice, bob)},
      {"local_deleted", Input(3, kFromNode1ToNode2 | 16, 30, 20, "", bob)},
      {"incoming_deleted", Input(2, kFromNode2ToNode1 | 32, 10, 20, alice, "")},
      {"undecodable_local", Input(1, kFromNode1ToNode2, 10, 20, "junk", bob)},
      {"bad_state", Input(1, kFromNode1ToNode2, 10, 20, "\x01\x07" + alice.substr(2), bob)},
      {"outside_the_pool", Input(16, kFromNode1ToNode2, 10, 20, alice, bob)},
      {"longest_client",
       Input(8, kFromNode2ToNode1, 10, 20,
             Value(LeaseState::kLeased, kT, kT + 1, std::string(200, 'c')), alice)},
  };
}

}  // namespace hasync::fuzz
