// Outbound: the sending half of one channel session. It numbers frames, builds record batches
// (several writes share one frame until it is flushed or full) and accounts for the bytes the
// peer has not yet acknowledged, which bound how far a slow standby can fall behind.
//
// Frames leave in the order they are produced: a control frame first closes the open batch, so a
// record EOF can never overtake the records it ends.
#pragma once

#include <cstdint>
#include <deque>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "core/counters.h"
#include "wire/consumer_messages.h"  // the stream extension's frames go out here too
#include "wire/frame.h"
#include "wire/messages.h"
#include "wire/record_batch.h"

namespace hasync::core {

class Outbound {
 public:
  // `counters` (frames and bytes sent) must outlive this object.
  Outbound(size_t max_batch_bytes, Counters* counters);
  Outbound(const Outbound&) = delete;
  Outbound& operator=(const Outbound&) = delete;

  // Forgets everything: a new connection numbers its frames from 1.
  void Reset();

  // Appends a control frame to `out` (after the open batch); returns its seq. Acks are not
  // themselves acknowledged, so they are not counted as unacked.
  template <typename Message>
  uint64_t Send(std::vector<uint8_t>& out, const Message& message) {
    CloseBatch(out);
    uint64_t seq = next_seq_++;
    size_t before = out.size();
    wire::FrameWriter frames(&out);
    wire::Encode(frames, seq, message);
    Track(seq, out.size() - before, !std::is_same_v<Message, wire::Ack>);
    Count(out.size() - before);
    return seq;
  }

  // Adds a record to the open batch of (kind, table), closing a batch of another kind or table
  // first and flushing it into `out` once it reaches max_batch_bytes. Returns the seq of the
  // frame that carries the record.
  uint64_t Add(std::vector<uint8_t>& out, wire::SyncKind kind, std::string_view table,
               const wire::RecordEntry& entry);
  void CloseBatch(std::vector<uint8_t>& out);

  // The peer applied every frame up to `seq`.
  void Acked(uint64_t seq);

  size_t unacked_bytes() const { return unacked_bytes_ + open_bytes(); }
  bool awaiting_ack() const { return !unacked_.empty(); }  // a sent frame is not acknowledged
  uint64_t frames() const { return next_seq_ - 1; }
  uint64_t acked_seq() const { return acked_seq_; }

 private:
  void Track(uint64_t seq, size_t bytes, bool needs_ack);
  void Count(size_t bytes) {
    ++counters_->frames_sent;
    counters_->bytes_sent += bytes;
  }
  size_t open_bytes() const { return batch_.open() ? batch_buf_.size() : 0; }

  size_t max_batch_bytes_;
  Counters* counters_;
  uint64_t next_seq_ = 1;
  uint64_t acked_seq_ = 0;
  std::deque<std::pair<uint64_t, size_t>> unacked_;  // (seq, frame bytes), ascending seq
  size_t unacked_bytes_ = 0;

  std::vector<uint8_t> batch_buf_;
  wire::FrameWriter batch_frames_{&batch_buf_};
  wire::RecordBatchWriter batch_{&batch_frames_};
  wire::SyncKind batch_kind_ = wire::SyncKind::kIncremental;
  std::string batch_table_;
  uint64_t batch_seq_ = 0;
};

}  // namespace hasync::core
