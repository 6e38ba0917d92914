#include "core/outbound.h"

namespace hasync::core {

Outbound::Outbound(size_t max_batch_bytes, Counters* counters)
    : max_batch_bytes_(max_batch_bytes), counters_(counters) {}

void Outbound::Reset() {
  next_seq_ = 1;
  acked_seq_ = 0;
  unacked_.clear();
  unacked_bytes_ = 0;
  batch_buf_.clear();
  batch_frames_ = wire::FrameWriter(&batch_buf_);
  batch_ = wire::RecordBatchWriter(&batch_frames_);
}

uint64_t Outbound::Add(std::vector<uint8_t>& out, wire::SyncKind kind, std::string_view table,
                       const wire::RecordEntry& entry) {
  if (batch_.open() && (kind != batch_kind_ || table != batch_table_)) CloseBatch(out);
  if (!batch_.open()) {
    batch_seq_ = next_seq_++;
    batch_kind_ = kind;
    batch_table_.assign(table);
    batch_.Begin(batch_seq_, kind, table);
  }
  batch_.Add(entry);
  uint64_t seq = batch_seq_;
  if (batch_.bytes() >= max_batch_bytes_) CloseBatch(out);
  return seq;
}

void Outbound::CloseBatch(std::vector<uint8_t>& out) {
  if (!batch_.open()) return;
  batch_.Finish();
  size_t bytes = batch_buf_.size();
  // Most turns produce one batch and nothing else: hand the buffer over instead of copying it.
  if (out.empty()) {
    out.swap(batch_buf_);
  } else {
    out.insert(out.end(), batch_buf_.begin(), batch_buf_.end());
  }
  Track(batch_seq_, bytes, true);
  Count(bytes);
  batch_buf_.clear();
}
void Outbound::Track(uint64_t seq, size_t bytes, bool needs_ack) {
  if (!needs_ack) return;
  unacked_.emplace_back(seq, bytes);
  unacked_bytes_ += bytes;
}

void Outbound::Acked(uint64_t seq) {
  if (seq <= acked_seq_) return;
  acked_seq_ = seq;
  while (!unacked_.empty() && unacked_.front().first <= seq) {
    unacked_bytes_ -= unacked_.front().second;
    unacked_.pop_front();
  }
}

}  // namespace hasync::core
