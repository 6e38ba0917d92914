#include "replay/update_stream.h"

namespace hasync::replay {

UpdateStream::UpdateStream(std::vector<uint8_t>* out, uint64_t* next_seq,
                           const wire::ConsumerUpdate& header, size_t fragment_bytes)
    : frames_writer_(out),
      writer_(&frames_writer_),
      next_seq_(next_seq),
      header_(header),
      fragment_bytes_(fragment_bytes) {
  writer_.Begin((*next_seq_)++, header_);
}

void UpdateStream::Add(const wire::UpdateRecord& record) {
  const size_t size = wire::kUpdateRecordHeaderBytes + record.key.size() + record.value.size();
  if (writer_.count() > 0 && writer_.bytes() + size > fragment_bytes_) {
    writer_.Finish(/*more=*/true);
    writer_.Begin((*next_seq_)++, header_);
    ++frames_;
  }
  writer_.Add(record);
  ++records_;
  record_bytes_ += record.key.size() + record.value.size();
}

void UpdateStream::Finish(bool more) { writer_.Finish(more); }

}  // namespace hasync::replay
