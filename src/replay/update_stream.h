// UpdateStream: one op written as ConsumerUpdate frames straight into a connection's output
// buffer, cut into fragments of about `fragment_bytes` of payload (every fragment but the last
// carries kUpdateMore). Each fragment holds at least one record, so a record larger than the
// fragment size still goes, alone. Counts what it wrote, for the counters.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "wire/consumer_messages.h"
#include "wire/frame.h"

namespace hasync::replay {

class UpdateStream {
 public:
  // `out` and `next_seq` (the connection's frame numbers) must outlive the stream. Opens the
  // first fragment at once: an op without records is still one frame.
  UpdateStream(std::vector<uint8_t>* out, uint64_t* next_seq, const wire::ConsumerUpdate& header,
               size_t fragment_bytes);
  UpdateStream(const UpdateStream&) = delete;
  UpdateStream& operator=(const UpdateStream&) = delete;

  void Add(const wire::UpdateRecord& record);
  // Closes the last fragment; `more`: the op goes on in another stream (its next fragments).
  void Finish(bool more);

  uint64_t frames() const { return frames_; }
  uint64_t records() const { return records_; }
  uint64_t record_bytes() const { return record_bytes_; }  // keys and values

 private:
  wire::FrameWriter frames_writer_;
  wire::UpdateWriter writer_;
  uint64_t* next_seq_;
  const wire::ConsumerUpdate header_;  // records empty
  size_t fragment_bytes_;
  uint64_t frames_ = 1;
  uint64_t records_ = 0;
  uint64_t record_bytes_ = 0;
};

}  // namespace hasync::replay
