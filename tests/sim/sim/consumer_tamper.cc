#include "sim/consumer_tamper.h"

#include <xxhash.h>

#include <algorithm>

#include "fmt/format.h"
#include "wire/consumer_messages.h"

namespace hasync::sim {
namespace {

const wire::ConsumerLimits kLimits = {
    .max_table_name_bytes = 1024, .max_key_bytes = 65535, .max_value_bytes = 1u << 30};

void StoreU64(uint8_t* p, uint64_t v) {
  for (size_t i = 0; i < 8; ++i) p[i] = static_cast<uint8_t>(v >> (8 * i));
}

// The frame with sequence number `seq`, its checksum recomputed.
void Renumber(Frame& frame, uint64_t seq) {
  uint8_t* f = frame.bytes.data();
  const size_t total = frame.bytes.size();
  StoreU64(f + 8, seq);
  StoreU64(f + total - wire::kFrameTrailerBytes,
           XXH3_64bits(f + 4, total - 4 - wire::kFrameTrailerBytes));
  frame.seq = seq;
}

template <typename Message>
void Reencode(Frame& frame, const Message& message) {
  std::vector<uint8_t> out;
  wire::FrameWriter frames(&out);
  wire::Encode(frames, frame.seq, message);
  frame.bytes = std::move(out);
}

}  // namespace

bool IsConsumerBreak(BreakMode mode) {
  return mode == BreakMode::kConsumerSkipSection || mode == BreakMode::kConsumerReplayInSync ||
         mode == BreakMode::kConsumerFullReplay || mode == BreakMode::kConsumerDropOp;
}

std::string ConsumerTamper::ToConsumer(ConnId conn, core::TimePoint now,
                                       std::vector<Frame>& frames) {
  if (mode_ == BreakMode::kConsumerDropOp) return DropOp(conn, now, frames);
  if (mode_ != BreakMode::kConsumerSkipSection || now < kBreakNotBefore) return "";
  std::string notes;
  for (Frame& f : frames) {
    if (f.type == wire::MsgType::kConsumerUpdate) notes += SkipSection(f);
  }
  return notes;
}

std::string ConsumerTamper::SkipSection(Frame& frame) {
  auto update = wire::DecodeConsumerUpdate(frame.payload(), kLimits);
  if (!update.ok() || !update->replay || update->reset == 0) return "";
  wire::ConsumerUpdate m = update.value();
  uint8_t skip = wire::kSectionCount;
  for (const wire::UpdateRecord& r : m.records) {
    if ((m.reset >> r.section & 1) != 0) skip = std::min(skip, r.section);
  }
  if (skip == wire::kSectionCount) return "";
  const size_t before = m.records.size();
  std::erase_if(m.records, [&](const wire::UpdateRecord& r) { return r.section == skip; });
  const std::string note = fmt::format("break: replay op {} loses the {} records of section {}",
                                       m.op, before - m.records.size(), skip);
  Reencode(frame, m);  // the records view the old bytes: encoded before those go
  return note;
}

std::string ConsumerTamper::DropOp(ConnId conn, core::TimePoint now, std::vector<Frame>& frames) {
  std::string note;
  uint64_t& shift = seq_shift_[conn];
  for (auto it = frames.begin(); it != frames.end();) {
    if (!dropped_ && now >= kBreakNotBefore && it->type == wire::MsgType::kConsumerUpdate) {
      auto update = wire::DecodeConsumerUpdate(it->payload(), kLimits);
      if (update.ok() && !update->replay && !update->more) {
        dropped_ = true;
        note = fmt::format("break: op {} to consumer connection #{} dropped", update->op, conn);
        it = frames.erase(it);
        ++shift;
        continue;
      }
    }
    if (shift != 0) Renumber(*it, it->seq - shift);
    ++it;
  }
  return note;
}

std::string ConsumerTamper::ToNode(size_t consumer, int slot, core::TimePoint now,
                                   std::vector<Frame>& frames) {
  const bool in_sync_mode = mode_ == BreakMode::kConsumerReplayInSync;
  if ((!in_sync_mode && mode_ != BreakMode::kConsumerFullReplay) || now < kBreakNotBefore) {
    return "";
  }
  for (Frame& f : frames) {
    if (f.type != wire::MsgType::kConsumerHello) continue;
    auto hello = wire::DecodeConsumerHello(f.payload(), kLimits);
    if (!hello.ok() || hello->ack_only || hello->last_op == 0) return "";
    if (in_sync_(consumer, slot) != in_sync_mode) return "";
    wire::ConsumerHello m = hello.value();
    if (in_sync_mode) {
      ++m.last_term;
      for (wire::ResumeEntry& e : m.ring) ++e.term;
    } else {
      m.last_op = m.last_term = 0;
      m.ring.clear();
    }
    Reencode(f, m);
    return fmt::format("break: c{}'s hello to {} {}", consumer, NodeName(slot),
                       in_sync_mode ? "reports other terms" : "reports it holds nothing");
  }
  return "";
}

}  // namespace hasync::sim
