#include "sim/tamper.h"

#include <array>
#include <vector>

#include "fmt/format.h"
#include "hasync/types.h"
#include "wire/messages.h"
#include "wire/record_batch.h"

namespace hasync::sim {
namespace {

constexpr std::array<BreakInfo, 15> kModes = {{
    {BreakMode::kDropIncremental, "drop-incremental", "quiet_equal"},
    {BreakMode::kDropAcked, "drop-acked", "acked_survives_crash"},
    {BreakMode::kDropBulk, "drop-bulk", "bulk_complete"},
    {BreakMode::kMaskRoleInit, "mask-role-init", "single_active"},
    {BreakMode::kMaskRoleActive, "mask-role-active", "roles_sane"},
    {BreakMode::kDropReconcile, "drop-reconcile", "no_lost_write"},
    {BreakMode::kDropReconcileDeletes, "drop-reconcile-deletes", "no_lost_write"},
    {BreakMode::kSwallowPostponed, "swallow-postponed", "postponed_served"},
    {BreakMode::kPoolNoShares, "pool-no-shares", "pool_scope"},
    {BreakMode::kPoolFastClock, "pool-fast-clock", "pool_unique"},
    {BreakMode::kPoolDropReconcile, "pool-drop-reconcile", "pool_store_unique"},
    {BreakMode::kConsumerSkipSection, "consumer-skip-section", "consumer_converges"},
    {BreakMode::kConsumerReplayInSync, "consumer-replay-in-sync", "in_sync_no_replay"},
    {BreakMode::kConsumerFullReplay, "consumer-full-replay", "replay_bounded"},
    {BreakMode::kConsumerDropOp, "consumer-drop-op", "consumer_ops_ordered"},
}};

// The same frame (seq, kind, table) with only the entries `keep` accepts.
template <typename Keep>
uint32_t Filter(Frame& frame, const wire::RecordBatch& batch, Keep keep) {
  std::vector<uint8_t> out;
  wire::FrameWriter frames(&out);
  wire::RecordBatchWriter writer(&frames);
  writer.Begin(frame.seq, batch.kind(), batch.table());
  uint32_t dropped = 0;
  batch.ForEach([&](const wire::RecordEntry& e) {
    if (keep(e)) {
      writer.Add(e);
    } else {
      ++dropped;
    }
  });
  writer.Finish();
  frame.bytes = std::move(out);
  return dropped;
}

template <typename Message>
void Reencode(Frame& frame, const Message& message) {
  std::vector<uint8_t> out;
  wire::FrameWriter frames(&out);
  wire::Encode(frames, frame.seq, message);
  frame.bytes = std::move(out);
}

// The kind of records batch a mode tampers with.
std::optional<wire::SyncKind> TargetKind(BreakMode mode) {
  switch (mode) {
    case BreakMode::kDropIncremental:
    case BreakMode::kDropAcked:
      return wire::SyncKind::kIncremental;
    case BreakMode::kDropBulk:
      return wire::SyncKind::kBulk;
    case BreakMode::kDropReconcile:
    case BreakMode::kDropReconcileDeletes:
    case BreakMode::kPoolDropReconcile:
      return wire::SyncKind::kReconcile;
    default:
      return std::nullopt;
  }
}

std::string_view KindName(wire::SyncKind kind) {
  switch (kind) {
    case wire::SyncKind::kIncremental:
      return "incremental";
    case wire::SyncKind::kBulk:
      return "bulk";
    case wire::SyncKind::kReconcile:
      return "reconciliation";
  }
  return "?";
}

}  // namespace

std::span<const BreakInfo> BreakModes() { return kModes; }

bool IsPoolBreak(BreakMode mode) {
  return mode == BreakMode::kPoolNoShares || mode == BreakMode::kPoolFastClock ||
         mode == BreakMode::kPoolDropReconcile;
}

std::optional<BreakMode> ParseBreakMode(std::string_view name) {
  if (name == "none") return BreakMode::kNone;
  for (const BreakInfo& info : kModes) {
    if (info.name == name) return info.mode;
  }
  return std::nullopt;
}

std::string Tamper::RewriteRole(int from, Frame& frame) {
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

std::string Tamper::Rewrite(int from, core::TimePoint now, Frame& frame) {
  if (mode_ == BreakMode::kMaskRoleInit || mode_ == BreakMode::kMaskRoleActive) {
    return RewriteRole(from, frame);
  }
  const std::optional<wire::SyncKind> target = TargetKind(mode_);
  if (!target || done_ || frame.type != wire::MsgType::kRecords || now < kBreakNotBefore) {
    return {};
  }
  auto batch = wire::DecodeRecordBatch(frame.payload(), wire::BatchLimits{});
  if (!batch.ok() || batch->count() == 0 || batch->kind() != *target) return {};
  // The pool's mode drops only the pool's records; the others leave them alone, so that each
  // stays aimed at its own invariant.
  const bool pool_table = batch->table().starts_with("pool/");
  if ((mode_ == BreakMode::kPoolDropReconcile) != pool_table) return {};
  if (mode_ == BreakMode::kDropReconcile && lacks_) {
    bool matters = false;
    batch->ForEach([&](const wire::RecordEntry& e) {
      matters = matters || (e.op == wire::RecordOp::kUpsert && lacks_(from, batch->table(), e));
    });
    if (!matters) return {};
  }
  uint32_t dropped = 0;
  if (mode_ == BreakMode::kDropReconcileDeletes) {
    dropped = Filter(frame, batch.value(),
                     [](const wire::RecordEntry& e) { return e.op != wire::RecordOp::kDelete; });
    if (dropped == 0) return {};
  } else {
    dropped = Filter(frame, batch.value(), [](const wire::RecordEntry&) { return false; });
  }
  records_tampered_ = true;
  if (mode_ == BreakMode::kDropAcked) {
    if (dropping_since_ == core::kNever) dropping_since_ = now;
  } else if (mode_ != BreakMode::kDropReconcileDeletes && mode_ != BreakMode::kPoolDropReconcile) {
    done_ = true;
  }
  return fmt::format("break: dropped {} of the {} records of {} batch #{}", dropped, batch->count(),
                     KindName(*target), frame.seq);
}

}  // namespace hasync::sim
