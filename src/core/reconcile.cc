// Reconciliation (seed 000, FIG. 3-9; docs/reconciliation.md): a standby that may hold records
// its active lacks sends them, and the active merges them.
//
// The standby's side is the bulk sync's walk with another kind: restamp every record below the
// reconciliation's GVN as it is sent, then an EOF with the standby's digest. The active merges
// each record by the table's merge function (last writer wins by default), then bulk-syncs back
// unless the two stores already agree. Both sides are in reconciliation mode from the request to
// the end, during which allocate/release writes are postponed.
#include <algorithm>

#include "core/node.h"
#include "fmt/format.h"

namespace hasync::core {
namespace {

std::string_view ReasonName(wire::ReconcileReason reason) {
  switch (reason) {
    case wire::ReconcileReason::kInterruptedBulk:
      return "switchover during bulk sync";
    case wire::ReconcileReason::kSplitBrain:
      return "split-brain";
    case wire::ReconcileReason::kHandover:
      return "switchover before the standby was in sync";
  }
  return "unknown";
}

}  // namespace

bool Node::Reconciling() const {
  return recon_.requested || recon_.sent || recon_.awaiting || recon_.receiving ||
         (bulk_.running && bulk_.kind == wire::SyncKind::kReconcile);
}

void Node::StartReconcile(TimePoint now, wire::ReconcileReason reason, uint64_t gvn,
                          uint64_t remaining) {
  (void)now;
  recon_ = Reconcile();
  recon_.reason = reason;
  recon_.gvn = gvn;
  recon_.requested = true;
  recon_.total = remaining;
  if (reason != wire::ReconcileReason::kInterruptedBulk) {
    recon_.total = store_.records();
    for (size_t i = 0; i < store_.table_count(); ++i)
      recon_.total += store_.table_at(i).tombstones();
  }
  Log(Severity::kInfo, fmt::format("reconciling into node {} ({}): gvn {}, about {} records",
                                   peer_.node_id, ReasonName(reason), gvn, recon_.total));
  Send(wire::SyncRequest{wire::SyncKind::kReconcile, gvn, reason});
}

void Node::OnSyncResponse(TimePoint now, const wire::SyncResponse& m) {
  // An answer to a request this node has since dropped (it took the active role over meanwhile).
  if (!recon_.requested) return;
  recon_.requested = false;
  if (!m.accepted) {
    Log(Severity::kWarning, fmt::format("node {} refused the reconciliation", peer_.node_id));
    LoseChannel(now, "the active refused our reconciliation", CloseCause::kReconcileRefused);
    return;
  }
  gvn_ = std::max(gvn_, recon_.gvn);
  bulk_ = BulkSender();
  bulk_.kind = wire::SyncKind::kReconcile;
  bulk_.running = true;
  bulk_.gvn = recon_.gvn;
  bulk_.total = recon_.total;
  bulk_.refilled = now;
  Send(wire::BulkBegin{wire::SyncKind::kReconcile, recon_.gvn, bulk_.total});
  BulkStep(now);
}

// The active took our EOF (it acknowledged it, or it began its bulk sync back).
void Node::FinishReconcileSend(TimePoint now) {
  (void)now;
  recon_.sent = false;
  ++counters_.reconciliations_sent;
  bool split_brain = recon_.reason == wire::ReconcileReason::kSplitBrain;
  Log(Severity::kInfo, fmt::format("reconciliation into node {} complete ({}): {} records sent{}",
                                   peer_.node_id, ReasonName(recon_.reason), bulk_.sent,
                                   split_brain ? "; split-brain resolved" : ""));
  ReconcileCompleted done;
  done.peer = peer_.node_id;
  done.split_brain = split_brain;
  done.sender = true;
  done.sent = bulk_.sent;
  effects_.events.push_back(done);
  split_brain_ = false;
}

bool Node::InterruptedBulkExpected(uint64_t gvn) const {
  return recon_.awaiting && recon_.interrupted_bulk_gvn == gvn;
}

void Node::OnSyncRequest(TimePoint now, const wire::SyncRequest& m) {
  bool accept = role_ == Role::kActive && peer_.role == Role::kStandby &&
                switchover_pending_ == 0 && !bulk_.started && !recon_.receiving;
  // An interrupted bulk sync's reconciliation ends by erasing this node's records below its GVN.
  // Any other is no bulk this node was receiving: taking it would erase records on its word.
  if (accept && m.reason == wire::ReconcileReason::kInterruptedBulk &&
      !InterruptedBulkExpected(m.gvn)) {
    Fail(now,
         ProtocolError(fmt::format("reconciliation of an interrupted bulk sync at gvn {}, which "
                                   "this node was not receiving when it took over",
                                   m.gvn)),
         InputFault::kOrder);
    return;
  }
  Send(wire::SyncResponse{wire::SyncKind::kReconcile, accept, gvn_});
  if (!accept) {
    Log(Severity::kWarning,
        fmt::format("refused a reconciliation from node {} (this node is {}{})", peer_.node_id,
                    RoleName(role_), bulk_.started ? ", syncing it already" : ""));
    return;
  }
  recon_ = Reconcile();
  recon_.reason = m.reason;
  recon_.gvn = m.gvn;
  recon_.receiving = true;
  // Merged records are stamped with our GVN, which must not be below the incoming RVNs.
  gvn_ = std::max(gvn_, m.gvn);
  Log(Severity::kInfo, fmt::format("node {} reconciles into this node ({}): gvn {}", peer_.node_id,
                                   ReasonName(m.reason), m.gvn));
}

void Node::ApplyReconcileBatch(TimePoint now, store::Table* table, const wire::RecordBatch& batch) {
  auto custom = merge_functions_.find(table->name());
  const MergeFunction* merge = custom != merge_functions_.end() ? &custom->second : nullptr;
  batch.ForEach([&](const wire::RecordEntry& e) { MergeEntry(now, table, merge, e); });
}

// Seed 000, FIG. 6B: store a record this node lacks, merge one it holds. A delete of a key this
// node does not hold changes nothing.
void Node::MergeEntry(TimePoint now, store::Table* table, const MergeFunction* merge,
                      const wire::RecordEntry& e) {
  MergeCounts& counts = recon_.merged;
  ++counts.received;
  bool incoming_delete = e.op == wire::RecordOp::kDelete;
  std::optional<store::RecordView> local = table->Lookup(e.key);
  if (!local) {
    if (incoming_delete) return;
    (void)table->Upsert(e.key, e.value, gvn_, e.stamp, e.origin);  // limits checked by decode
    ++counts.inserted;
    return;
  }
  MergeRecord mine{local->key, local->value, local->stamp, local->origin, local->tombstone};
  MergeRecord theirs{e.key, e.value, e.stamp, e.origin, incoming_delete};
  MergeDecision decision = merge ? (*merge)(mine, theirs) : LastWriterWins(mine, theirs);
  switch (decision.choice) {
    case MergeChoice::kKeepLocal:
      // Touched all the same: after an interrupted bulk sync, what the reconciliation did not
      // touch is swept.
      table->Restamp(e.key, gvn_);
      ++counts.kept;
      break;
    case MergeChoice::kTakeIncoming:
      if (!incoming_delete) {
        (void)table->Upsert(e.key, e.value, gvn_, e.stamp, e.origin);
        ++counts.replaced;
      } else if (table->Erase(e.key, gvn_, e.stamp, e.origin)) {
        ++counts.deleted;
      } else {
        ++counts.kept;  // both had deleted it; the incoming delete's stamp is the later one
      }
      break;
    case MergeChoice::kWrite: {
      Status st = table->Upsert(e.key, decision.value, gvn_, hlc_.Now(now), config_.node_id);
      if (!st.ok()) {
        table->Restamp(e.key, gvn_);
        ++counts.kept;
        Log(Severity::kError, fmt::format("merge function of table '{}' wrote a value the store "
                                          "refuses ({}); the local record stays",
                                          table->name(), st.ToString()));
        break;
      }
      ++counts.written;
      break;
    }
  }
}

void Node::FinishReconcileReceive(TimePoint now, const wire::RecordEof& m) {
  MergeCounts& counts = recon_.merged;
  if (recon_.reason == wire::ReconcileReason::kInterruptedBulk) {
    // This node took over in the middle of the peer's bulk sync: the bulk and this
    // reconciliation refreshed every record the peer holds, and this node's own writes since
    // carry the GVN too. Anything older was deleted on the peer while the two were apart.
    for (size_t i = 0; i < store_.table_count(); ++i) {
      counts.swept += store_.table_at(i).EraseOlderThan(recon_.gvn);
    }
  }
  recon_.receiving = false;
  bool split_brain = recon_.reason == wire::ReconcileReason::kSplitBrain;
  bool differ = store_.digest() != m.digest;
  bool bulk_back = switchover_pending_ == 0 && (differ || config_.bulk_after_reconcile_always);
  ++counters_.reconciliations_received;
  counters_.merge_inserted += counts.inserted;
  counters_.merge_replaced += counts.replaced;
  counters_.merge_deleted += counts.deleted;
  counters_.merge_kept += counts.kept;
  counters_.merge_written += counts.written;
  counters_.merge_swept += counts.swept;
  Log(Severity::kInfo,
      fmt::format("reconciliation from node {} complete ({}): {} received, {} inserted, {} "
                  "replaced, {} deleted, {} kept, {} written, {} swept; {}{}",
                  peer_.node_id, ReasonName(recon_.reason), counts.received, counts.inserted,
                  counts.replaced, counts.deleted, counts.kept, counts.written, counts.swept,
                  bulk_back ? "bulk sync back follows" : "the standby already holds the same",
                  split_brain ? "; split-brain resolved" : ""));
  ReconcileCompleted done;
  done.peer = peer_.node_id;
  done.split_brain = split_brain;
  done.merged = counts;
  done.bulk_back = bulk_back;
  effects_.events.push_back(done);
  split_brain_ = false;
  // A switchover this node asked for is in flight: the peer becomes active and this node will
  // reconcile everything into it, so there is nothing to send back.
  if (switchover_pending_ != 0) return;
  if (bulk_back) {
    StartBulkSync(now);
  } else {
    ConfirmInSync(now, recon_.gvn);
  }
  RunPostponed(now);
}

// The standby's records all carry `gvn` now and equal ours: an empty bulk sync at that GVN
// tells it so (its sweep erases nothing) and completes what waits on the standby's copy.
void Node::ConfirmInSync(TimePoint now, uint64_t gvn) {
  bulk_ = BulkSender();
  bulk_.started = true;
  bulk_.gvn = gvn;
  peer_.in_sync = false;
  Send(wire::BulkBegin{wire::SyncKind::kBulk, gvn, 0});
  if (extension_ != nullptr) extension_->OnBulkBegin(now, *this);
  bulk_.eof_seq = Send(wire::RecordEof{wire::SyncKind::kBulk, gvn, 0, store_.digest()});
  waiters_.AssignUnsent(bulk_.eof_seq);
  // The standby holds none of the keys our tombstones name: nothing left to tell it.
  for (size_t i = 0; i < store_.table_count(); ++i) store_.table_at(i).DropTombstones();
}

void Node::EndReconcile() {
  recon_ = Reconcile();
  split_brain_ = false;
}

WriteOutcome Node::Postpone(TimePoint now, wire::RecordOp op, std::string_view table,
                            std::string_view key, std::string_view value, Durability durability,
                            uint64_t token) {
  if (postponed_.size() >= config_.max_postponed_writes) {
    ++counters_.writes_refused_busy;
    return {
        Unavailable(fmt::format("{} allocate/release writes already wait for the "
                                "reconciliation to end",
                                postponed_.size()))};
  }
  postponed_.Add({op, std::string(table), std::string(key), std::string(value), durability, token,
                  now + config_.postpone_timeout});
  ++counters_.postponed;
  ArmPostponedTimer();
  return {Status::Ok(), true, true, 0};
}

// Reconciliation mode ended: the postponed writes run, oldest first, as if just made.
void Node::RunPostponed(TimePoint now) {
  if (postponed_.empty() || Reconciling() || switchover_pending_ != 0) return;
  for (PostponedWrite& w : postponed_.TakeAll()) {
    WriteOutcome outcome =
        Write(now, w.op, w.table, w.key, w.value, w.durability, w.token, WriteIntent::kUpdate);
    if (!outcome.pending) {
      effects_.events.push_back(WriteCompleted{w.token, outcome.status, outcome.stamp});
    }
  }
  ArmPostponedTimer();
}

void Node::ArmPostponedTimer() {
  TimePoint next = postponed_.next_deadline();
  if (next == postponed_timer_at_) return;
  postponed_timer_at_ = next;
  ArmTimer(TimerId::kPostponed, next);
}

void Node::SetMergeFunction(std::string_view table, MergeFunction merge) {
  if (merge) {
    merge_functions_.insert_or_assign(std::string(table), std::move(merge));
  } else if (auto it = merge_functions_.find(table); it != merge_functions_.end()) {
    merge_functions_.erase(it);
  }
}

}  // namespace hasync::core
