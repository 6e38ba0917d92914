// The seed corpus of fuzz_lease: pairs of lease records as the two nodes of a pair could hold
// them after a split-brain (one client renewing on both sides, two clients with overlapping or
// successive leases, a delete, an undecodable value, a key outside the pool), encoded with the
// real EncodeLease and laid out as fuzz_lease.cc reads its input.
#pragma once

#include <string>
#include <vector>

#include "seed_frames.h"

namespace hasync::fuzz {

struct LeaseSeed {
  std::string name;
  Bytes input;
};

std::vector<LeaseSeed> LeaseSeeds();

}  // namespace hasync::fuzz
