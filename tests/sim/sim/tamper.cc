#include "sim/tamper.h"

#include <array>

#include "fmt/format.h"
#include "hasync/types.h"
#include "wire/messages.h"
#include "wire/record_batch.h"

namespace hasync::sim {
namespace {

using namespace std::chrono_literals;

// Leave the start-up alone, so the defect lands in a pair that is already replicating.
constexpr core::TimePoint kNotBefore = 200ms;

constexpr std::array<BreakInfo, 5> kModes = {{
    {BreakMode::kDropIncremental, "drop-incremental", "quiet_equal"},
    {BreakMode::kDropAcked, "drop-acked", "acked_survives_crash"},
    {BreakMode::kDropBulk, "drop-bulk", "bulk_complete"},
    {BreakMode::kMaskRoleInit, "mask-role-init", "single_active"},
    {BreakMode::kMaskRoleActive, "mask-role-active", "roles_sane"},
}};

// The same frame (seq, kind, table) with no records in it.
void EmptyBatch(Frame& frame, const wire::RecordBatch& batch) {
  const std::string table(batch.table());
  const wire::SyncKind kind = batch.kind();
  std::vector<uint8_t> out;
  wire::FrameWriter frames(&out);
  wire::RecordBatchWriter writer(&frames);
  writer.Begin(frame.seq, kind, table);
  writer.Finish();
  frame.bytes = std::move(out);
}

template <typename Message>
void Reencode(Frame& frame, const Message& message) {
  std::vector<uint8_t> out;
  wire::FrameWriter frames(&out);
  wire::Encode(frames, frame.seq, message);
  frame.bytes = std::move(out);
}

}  // namespace

std::span<const BreakInfo> BreakModes() { return kModes; }

std::optional<BreakMode> ParseBreakMode(std::string_view name) {
  if (name == "none") return BreakMode::kNone;
  for (const BreakInfo& info : kModes) {
    if (info.name == name) return info.mode;
  }
  return std::nullopt;
}

std::string Tamper::Rewrite(int from, core::TimePoint now, Frame& frame) {
  if (mode_ == BreakMode::kNone) return {};
  if (mode_ == BreakMode::kMaskRoleInit || mode_ == BreakMode::kMaskRoleActive) {
    if (from != 1) return {};
    const Role lie = mode_ == BreakMode::kMaskRoleInit ? Role::kInit : Role::kActive;
    if (frame.type == wire::MsgType::kHello) {
      auto hello = wire::DecodeHello(frame.payload());
      if (!hello.ok() || hello->role == static_cast<uint8_t>(lie)) return {};
      wire::Hello m = hello.value();
      m.role = static_cast<uint8_t>(lie);
      Reencode(frame, m);
    } else if (frame.type == wire::MsgType::kHeartbeat) {
      auto beat = wire::DecodeHeartbeat(frame.payload());
      if (!beat.ok() || beat->role == static_cast<uint8_t>(lie)) return {};
      wire::Heartbeat m = beat.value();
      m.role = static_cast<uint8_t>(lie);
      Reencode(frame, m);
    } else {
      return {};
    }
    return fmt::format("break: role in {} #{} rewritten to {}", MsgName(frame.type), frame.seq,
                       RoleName(lie));
  }
  if (frame.type != wire::MsgType::kRecords || now < kNotBefore) return {};
  if (done_) return {};
  auto batch = wire::DecodeRecordBatch(frame.payload(), wire::BatchLimits{});
  if (!batch.ok() || batch->count() == 0) return {};
  const bool bulk = batch->kind() == wire::SyncKind::kBulk;
  if (bulk != (mode_ == BreakMode::kDropBulk)) return {};
  const uint32_t count = batch->count();
  EmptyBatch(frame, batch.value());
  if (mode_ == BreakMode::kDropAcked) {
    if (dropping_since_ == core::kNever) dropping_since_ = now;
  } else {
    done_ = true;
  }
  return fmt::format("break: dropped the {} records of {} batch #{}", count,
                     bulk ? "bulk" : "incremental", frame.seq);
}

}  // namespace hasync::sim
