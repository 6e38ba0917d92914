// Replication: local writes, the incremental stream, bulk sync (seed 000, FIG. 2, 5B, 7, 12)
// and acknowledgements.
//
// The active stamps every write with its GVN. A bulk sync raises the GVN above both nodes' and
// walks version order restamping every record below it, so "done" is exactly "no record has
// RVN < GVN" and a record written meanwhile (already stamped with the GVN) is sent once, by the
// incremental stream, in order. The standby erases whatever the bulk did not touch once the EOF
// arrives, which removes records deleted on the active while the two were apart.
#include <algorithm>

#include "core/node.h"
#include "fmt/format.h"

namespace hasync::core {

WriteOutcome Node::Put(TimePoint now, std::string_view table, std::string_view key,
                       std::string_view value, Durability durability, uint64_t token,
                       WriteIntent intent) {
  return Write(now, wire::RecordOp::kUpsert, table, key, value, durability, token, intent);
}

WriteOutcome Node::Erase(TimePoint now, std::string_view table, std::string_view key,
                         Durability durability, uint64_t token, WriteIntent intent) {
  return Write(now, wire::RecordOp::kDelete, table, key, {}, durability, token, intent);
}

bool Node::Replicating() const {
  return role_ == Role::kActive && peer_.connected && peer_.role == Role::kStandby &&
         bulk_.started && !resync_needed_;
}

Status Node::ObserveTable(std::string_view table, std::weak_ptr<store::TableObserver> observer) {
  Result<store::Table*> opened = store_.Open(table);
  if (!opened.ok()) return opened.status();
  opened.value()->SetObserver(std::move(observer));
  return Status::Ok();
}

bool Node::replicates() const {
  bool standby = peer_.connected && peer_.role == Role::kStandby;
  // A standby being resynchronised, or reconciling before it is, confirms at the sync's EOF.
  bool will_sync = bulk_.started || resync_needed_ || recon_.awaiting || recon_.receiving;
  return standby && will_sync;
}

Status Node::CheckWritable(Durability durability) const {
  if (role_ != Role::kActive && !stopped_) {
    if (peer_.connected && peer_.role == Role::kActive) {
      return NotActive(
          fmt::format("node {} is standby; node {} is active", config_.node_id, peer_.node_id));
    }
    return NotActive(fmt::format("node {} is {}, not active", config_.node_id, RoleName(role_)));
  }
  if (stopped_) return Unavailable("the node is shutting down");
  if (switchover_pending_ != 0) return Unavailable("a switchover is in progress");
  if (durability != Durability::kReplicated) return Status::Ok();
  if (!replicates()) {
    return Unavailable("no standby is connected, so a replicated write cannot be confirmed");
  }
  if (waiters_.writes() >= config_.max_pending_writes) {
    return Unavailable("too many replicated writes are waiting for the standby");
  }
  return Status::Ok();
}

WriteOutcome Node::Write(TimePoint now, wire::RecordOp op, std::string_view table_name,
                         std::string_view key, std::string_view value, Durability durability,
                         uint64_t token, WriteIntent intent) {
  if (intent != WriteIntent::kUpdate && role_ == Role::kActive && !stopped_ && Reconciling()) {
    return Postpone(now, op, table_name, key, value, durability, token);
  }
  Status ok = CheckWritable(durability);
  Result<store::Table*> opened = ok.ok() ? store_.Open(table_name) : Result<store::Table*>(ok);
  if (!opened.ok()) {
    CountRefusedWrite(opened.status());
    return {opened.status()};
  }
  return Apply(now, op, opened.value(), key, value, durability, token);
}

// A write the node may make now: applies it, stamped with the GVN and a fresh HLC stamp, and
// streams it if the standby is following.
WriteOutcome Node::Apply(TimePoint now, wire::RecordOp op, store::Table* table,
                         std::string_view key, std::string_view value, Durability durability,
                         uint64_t token) {
  if (op == wire::RecordOp::kDelete && !table->Get(key)) {
    return {NotFound(fmt::format("no record with that key in table '{}'", table->name()))};
  }
  uint64_t stamp = hlc_.Now(now);
  if (op == wire::RecordOp::kUpsert) {
    Status st = table->Upsert(key, value, gvn_, stamp, config_.node_id);
    if (!st.ok()) {
      CountRefusedWrite(st);
      return {st};
    }
  } else {
    // A tombstone even with no standby to tell: a peer that still holds the record (the other
    // side of a split-brain) must learn the delete won, or the record would come back.
    table->Erase(key, gvn_, stamp, config_.node_id);
  }
  ++counters_.writes;
  bool replicated = durability == Durability::kReplicated;
  TimePoint deadline = now + config_.replicate_timeout;
  if (!Replicating()) {
    // Nobody to tell now; a later sync brings the standby up to date.
    if (replicated) waiters_.AddUnsentWrite(token, deadline, stamp);
  } else {
    uint64_t seq = out_.Add(effects_.send, wire::SyncKind::kIncremental, table->name(),
                            {op, key, value, gvn_, stamp, config_.node_id});
    ++counters_.records_sent;
    if (op == wire::RecordOp::kDelete) waiters_.AddTombstone(seq, table, key, gvn_, stamp);
    if (replicated) waiters_.AddWrite(seq, token, deadline, stamp);
    if (out_.unacked_bytes() > config_.max_unacked_bytes) Overflowed(now);
  }
  if (replicated) ArmWriteTimer();
  return {Status::Ok(), replicated, false, stamp};
}

void Node::Overflowed(TimePoint now) {
  (void)now;
  ++counters_.resyncs;
  Log(Severity::kWarning,
      fmt::format("standby fell behind ({} bytes unacknowledged); it will be resynchronised by "
                  "a bulk sync once it drains",
                  out_.unacked_bytes()));
  resync_needed_ = true;
  bulk_.running = false;
  bulk_.eof_seq = 0;
  peer_.in_sync = false;
  ArmTimer(TimerId::kBulkStep, kNever);
}

void Node::MaybeStartBulkSync(TimePoint now) {
  // Not while a reconciliation is due: the standby holds records this node must get first.
  if (role_ == Role::kActive && peer_.connected && peer_.role == Role::kStandby && !bulk_.running &&
      !bulk_.started && !resync_needed_ && !recon_.awaiting && !recon_.receiving &&
      switchover_pending_ == 0) {
    StartBulkSync(now);
  }
}

void Node::StartBulkSync(TimePoint now) {
  // Above both GVNs, so every record either node holds is below it (claims 2-4).
  gvn_ = std::max(gvn_, peer_.gvn) + 1;
  bulk_ = BulkSender();
  bulk_.kind = wire::SyncKind::kBulk;
  bulk_.running = true;
  bulk_.started = true;
  bulk_.gvn = gvn_;
  bulk_.total = store_.records();
  bulk_.refilled = now;
  resync_needed_ = false;
  peer_.in_sync = false;
  ++counters_.bulk_syncs_started;
  Log(Severity::kInfo, fmt::format("bulk sync to node {} started: gvn {}, {} records",
                                   peer_.node_id, gvn_, bulk_.total));
  Send(wire::BulkBegin{wire::SyncKind::kBulk, gvn_, bulk_.total});
  if (extension_ != nullptr) extension_->OnBulkBegin(now, *this);
  BulkStep(now);
}

// Tokens for --bulk-rate: refilled by elapsed time, at most 100 ms worth banked. Returns false
// (and arms the step timer) when no record may be sent yet.
bool Node::BulkBudget(TimePoint now, uint64_t* budget) {
  *budget = config_.bulk_step_records;
  uint64_t limit =
      bulk_.kind == wire::SyncKind::kReconcile ? config_.reconcile_rate : config_.bulk_rate;
  if (limit == 0) return true;
  double rate = static_cast<double>(limit);
  double elapsed = std::chrono::duration<double>(now - bulk_.refilled).count();
  bulk_.refilled = now;
  bulk_.tokens = std::min(bulk_.tokens + elapsed * rate, std::max(rate / 10, 1.0));
  if (bulk_.tokens < 1) {
    auto wait = std::chrono::duration_cast<Duration>(std::chrono::duration<double>(1 / rate));
    ArmTimer(TimerId::kBulkStep, now + std::max<Duration>(wait, 10ms));
    return false;
  }
  *budget = std::min<uint64_t>(*budget, static_cast<uint64_t>(bulk_.tokens));
  return true;
}

void Node::BulkStep(TimePoint now) {
  bulk_.blocked = false;
  if (!bulk_.running) return;
  uint64_t budget = 0;
  if (out_.unacked_bytes() >= config_.bulk_window_bytes) {
    bulk_.blocked = true;  // OnAck resumes
    return;
  }
  if (!BulkBudget(now, &budget)) return;
  uint64_t done = 0;
  while (done < budget && bulk_.table < store_.table_count()) {
    store::Table& table = store_.table_at(bulk_.table);
    std::optional<store::RecordView> r = table.RestampOldest(bulk_.gvn, bulk_.gvn);
    if (!r) {
      ++bulk_.table;
      continue;
    }
    wire::RecordOp op = r->tombstone ? wire::RecordOp::kDelete : wire::RecordOp::kUpsert;
    uint64_t seq = out_.Add(effects_.send, bulk_.kind, table.name(),
                            {op, r->key, r->value, r->rvn, r->stamp, r->origin});
    if (r->tombstone) waiters_.AddTombstone(seq, &table, r->key, r->rvn, r->stamp);
    ++done;
    if (out_.unacked_bytes() >= config_.bulk_window_bytes) break;
  }
  bulk_.sent += done;
  bulk_.tokens -= static_cast<double>(done);
  counters_.records_sent += done;
  out_.CloseBatch(effects_.send);
  if (bulk_.table >= store_.table_count()) {
    FinishBulkSync(now);
  } else if (out_.unacked_bytes() >= config_.bulk_window_bytes) {
    bulk_.blocked = true;
  } else {
    ArmTimer(TimerId::kBulkStep, now);  // yield to the driver, continue next turn
  }
}

void Node::FinishBulkSync(TimePoint now) {
  (void)now;
  bulk_.running = false;
  bulk_.eof_seq = Send(wire::RecordEof{bulk_.kind, bulk_.gvn, bulk_.sent, store_.digest()});
  bool reconcile = bulk_.kind == wire::SyncKind::kReconcile;
  if (reconcile) {
    recon_.sent = true;
  } else {
    // Replicated writes made while the standby waited for this resync are in it.
    waiters_.AssignUnsent(bulk_.eof_seq);
  }
  Log(Severity::kInfo, fmt::format("{} to node {} sent: {} records, gvn {}",
                                   reconcile ? "reconciliation" : "bulk sync", peer_.node_id,
                                   bulk_.sent, bulk_.gvn));
}

void Node::OnAck(TimePoint now, const wire::Ack& m) {
  if (m.seq > out_.frames()) {
    Fail(now, ProtocolError(fmt::format("ack for frame {}, only {} sent", m.seq, out_.frames())),
         InputFault::kOrder);
    return;
  }
  if (m.seq > out_.acked_seq()) ack_progress_at_ = now;
  out_.Acked(m.seq);
  counters_.replicated_acked += waiters_.Acked(m.seq, &effects_.events);
  ArmWriteTimer();
  if (recon_.sent && m.seq >= bulk_.eof_seq) {
    FinishReconcileSend(now);
  } else if (role_ == Role::kActive && bulk_.eof_seq != 0 && m.seq >= bulk_.eof_seq &&
             !peer_.in_sync) {
    peer_.in_sync = true;
    ++counters_.bulk_syncs_completed;
    Log(Severity::kInfo, fmt::format("node {} is in sync", peer_.node_id));
    MaybePreempt(now);
  }
  // Nothing starts after a switchover request: the standby may already be active.
  if (resync_needed_ && switchover_pending_ == 0 &&
      out_.unacked_bytes() <= config_.max_unacked_bytes / 2) {
    StartBulkSync(now);
  } else if (bulk_.blocked && out_.unacked_bytes() < config_.bulk_window_bytes) {
    BulkStep(now);
  }
}

void Node::ArmWriteTimer() {
  TimePoint next = waiters_.next_deadline();
  if (next == write_timer_at_) return;
  write_timer_at_ = next;
  ArmTimer(TimerId::kWriteTimeouts, next);
}

}  // namespace hasync::core
