// Seeds of the consumer messages (wire/consumer_messages.h), built with the real encoders: every
// message type, every value of their enums and flags, empty and full lists, a hello of another
// consumer protocol version, and near-misses one field from valid (a range check the fuzzer
// starts on). All fit the small limits of fuzz_decode.h. make_corpus.cc writes them for
// fuzz_consumer_messages, fuzz_messages and fuzz_frame_reader.
#pragma once

#include <string>
#include <vector>

#include "seed_frames.h"

namespace hasync::fuzz {

struct ConsumerSeed {
  std::string name;
  Bytes frame;  // one frame, numbered 1
};

std::vector<ConsumerSeed> ConsumerSeeds();

}  // namespace hasync::fuzz
