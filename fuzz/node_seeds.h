// The seed corpus of fuzz_node: conversations a peer could hold with the node under test, built
// with the real encoders, each prefixed with the control bytes of node_input.h. They follow the
// protocol's paths (a standby that follows, an active that bulk-syncs the node, a switchover
// each way, both sides of a split-brain) and leave it one step at a time (rejected hellos,
// frames in a wrong order), so that mutations start from deep inside the state machine.
#pragma once

#include <string>
#include <vector>

#include "seed_frames.h"

namespace hasync::fuzz {

struct NodeSeed {
  std::string name;
  Bytes input;
};

std::vector<NodeSeed> NodeSeeds();

}  // namespace hasync::fuzz
