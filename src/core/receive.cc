// Receiving records: the standby applies the active's incremental stream and bulk syncs (seed
// 000, FIG. 7 and 12: store each record, take the GVN from the RVNs, sweep after the EOF); the
// active takes a reconciliation from its standby (reconcile.cc merges those).
#include <algorithm>

#include "core/node.h"
#include "fmt/format.h"

namespace hasync::core {

void Node::OnRecords(TimePoint now, wire::Payload payload) {
  wire::BatchLimits limits;
  limits.max_key_bytes = config_.limits.max_key_bytes;
  limits.max_value_bytes = config_.limits.max_value_bytes;
  limits.max_table_name_bytes = config_.limits.max_table_name_bytes;
  Result<wire::RecordBatch> decoded = wire::DecodeRecordBatch(payload, limits);
  if (!decoded.ok()) {
    Fail(now, decoded.status(), InputFault::kPayload);
    return;
  }
  const wire::RecordBatch& batch = decoded.value();
  // A standby takes the active's streams; an active only a reconciliation it accepted.
  bool reconcile = batch.kind() == wire::SyncKind::kReconcile;
  bool expected = reconcile ? role_ == Role::kActive && recon_.receiving : role_ == Role::kStandby;
  if (!expected) {
    Fail(now,
         ProtocolError(fmt::format("{} records received while {}",
                                   reconcile ? "reconciliation" : "replicated", RoleName(role_))),
         InputFault::kOrder);
    return;
  }
  // Check before applying anything, so a bad batch changes nothing: RVNs never go down on one
  // stream (the store's version order depends on it).
  uint64_t last = in_.last_rvn;
  uint64_t newest_stamp = 0;
  bool ordered = true;
  batch.ForEach([&](const wire::RecordEntry& e) {
    ordered = ordered && e.rvn >= last;
    last = std::max(last, e.rvn);
    newest_stamp = std::max(newest_stamp, e.stamp);
  });
  if (!ordered) {
    Fail(now, ProtocolError("record version numbers went down within the stream"),
         InputFault::kOrder);
    return;
  }
  Result<store::Table*> opened = store_.Open(batch.table());
  if (!opened.ok()) {
    Fail(now, opened.status(), InputFault::kPayload);
    return;
  }
  hlc_.Observe(newest_stamp);
  in_.last_rvn = last;
  gvn_ = std::max(gvn_, last);
  counters_.records_received += batch.count();
  if (reconcile) {
    ApplyReconcileBatch(now, opened.value(), batch);
    return;
  }
  store::Table* table = opened.value();
  batch.ForEach([&](const wire::RecordEntry& e) {
    if (e.op == wire::RecordOp::kUpsert) {
      // Cannot fail: the decoder enforced this node's limits, and the key is not empty.
      (void)table->Upsert(e.key, e.value, e.rvn, e.stamp, e.origin);
    } else {
      table->Remove(e.key);  // the active keeps the tombstone until we acknowledge it
    }
  });
  if (batch.kind() == wire::SyncKind::kBulk) in_.bulk_received += batch.count();
  if (extension_ != nullptr && batch.kind() == wire::SyncKind::kIncremental) {
    batch.ForEach(
        [&](const wire::RecordEntry& e) { extension_->OnIncrementalRecord(table->name(), e.key); });
  }
}

void Node::OnBulkBegin(TimePoint now, const wire::BulkBegin& m) {
  if (m.gvn < in_.last_rvn) {
    Fail(now, ProtocolError("a sync begins below the stream's record version numbers"),
         InputFault::kOrder);
    return;
  }
  if (m.kind == wire::SyncKind::kReconcile) {
    if (role_ != Role::kActive || !recon_.receiving || m.gvn != recon_.gvn) {
      Fail(now, ProtocolError("unexpected reconciliation begin"), InputFault::kOrder);
      return;
    }
    recon_.total = m.total;
    in_.last_rvn = m.gvn;
    Log(Severity::kInfo, fmt::format("receiving reconciliation from node {}: gvn {}, {} records",
                                     peer_.node_id, m.gvn, m.total));
    return;
  }
  // The active bulk-syncs only once our reconciliation reached it; one that did not would sweep
  // records it never saw.
  if (recon_.sent) FinishReconcileSend(now);
  if (role_ != Role::kStandby || recon_.requested || bulk_.running) {
    Fail(now, ProtocolError("unexpected bulk begin"), InputFault::kOrder);
    return;
  }
  in_.bulk_receiving = true;
  in_.bulk_gvn = m.gvn;
  in_.bulk_received = 0;
  in_.bulk_total = m.total;
  in_.synced = false;
  in_.last_rvn = m.gvn;
  gvn_ = std::max(gvn_, m.gvn);
  Log(Severity::kInfo, fmt::format("receiving bulk sync from node {}: gvn {}, {} records",
                                   peer_.node_id, m.gvn, m.total));
}

void Node::OnRecordEof(TimePoint now, const wire::RecordEof& m) {
  if (m.kind == wire::SyncKind::kReconcile) {
    if (role_ != Role::kActive || !recon_.receiving || m.gvn != recon_.gvn) {
      Fail(now, ProtocolError("reconciliation EOF without a matching begin"), InputFault::kOrder);
      return;
    }
    FinishReconcileReceive(now, m);
    return;
  }
  if (!in_.bulk_receiving || m.gvn != in_.bulk_gvn) {
    Fail(now, ProtocolError("record EOF without a matching bulk begin"), InputFault::kOrder);
    return;
  }
  // Everything the active holds was restamped with m.gvn or written later; anything older here
  // was deleted on the active while this node was not following it.
  size_t swept = 0;
  for (size_t i = 0; i < store_.table_count(); ++i)
    swept += store_.table_at(i).EraseOlderThan(m.gvn);
  counters_.records_swept += swept;
  in_.bulk_receiving = false;
  if (store_.digest() != m.digest) {
    // The stream guarantees equality; a difference is a defect somewhere. Say so loudly and
    // start over on a new connection rather than serve as a standby that is not a copy.
    ++counters_.digest_mismatches;
    Log(Severity::kError,
        fmt::format("digest mismatch after bulk sync from node {}: holds {:016x}, active held "
                    "{:016x}; resynchronising",
                    peer_.node_id, store_.digest(), m.digest));
    LoseChannel(now, "digest mismatch after a bulk sync", CloseCause::kDigestMismatch);
    return;
  }
  in_.synced = true;
  ++counters_.bulk_syncs_completed;
  Log(Severity::kInfo, fmt::format("bulk sync from node {} complete: {} records received, {} stale "
                                   "records erased",
                                   peer_.node_id, in_.bulk_received, swept));
}

}  // namespace hasync::core
