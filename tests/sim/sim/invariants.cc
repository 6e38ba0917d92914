#include "sim/invariants.h"

#include <algorithm>

#include "fmt/format.h"
#include "sim/world.h"
#include "wire/messages.h"
#include "wire/record_batch.h"

namespace hasync::sim {
namespace {

uint64_t TablesRecords(const store::Store& store) {
  uint64_t n = 0;
  for (size_t i = 0; i < store.table_count(); ++i) n += store.table_at(i).size();
  return n;
}

std::string Show(const core::NodeStatus& st) {
  return fmt::format("{} {} sync {} gvn {} records {}{} peer{} {}{}", NodeName(st.node_id - 1),
                     RoleName(st.role), SyncStateName(st.sync), st.gvn, st.records,
                     st.postponed != 0 ? fmt::format(" postponed {}", st.postponed) : "",
                     st.peer.connected ? "" : " not connected", RoleName(st.peer.role),
                     st.peer.in_sync ? " in sync" : "");
}

}  // namespace

std::string CheckStatus(const core::NodeStatus& st, const StatusContext& context) {
  if (st.records != context.tables_records) {
    return fmt::format("status reports {} records but its tables hold {}", st.records,
                       context.tables_records);
  }
  if (st.sync == SyncState::kBulkSending && st.role != Role::kActive) {
    return fmt::format("sending a bulk sync while {}", RoleName(st.role));
  }
  if (st.sync == SyncState::kBulkReceiving && st.role != Role::kStandby) {
    return fmt::format("receiving a bulk sync while {}", RoleName(st.role));
  }
  if (st.sync == SyncState::kReconciling && st.role == Role::kInit) {
    return "reconciling before it has a role";
  }
  if (st.postponed != 0 && (st.role != Role::kActive ||
                            (st.sync != SyncState::kReconciling && !context.switchover_pending))) {
    return fmt::format("holds {} postponed writes while {} and {}", st.postponed, RoleName(st.role),
                       SyncStateName(st.sync));
  }
  if (st.postponed > context.max_postponed) {
    return fmt::format("holds {} postponed writes, over max_postponed_writes {}", st.postponed,
                       context.max_postponed);
  }
  if (st.peer.connected && !context.endpoint_open) {
    return "reports its peer connected on a channel that was closed";
  }
  return {};
}

void Invariants::AfterStep() {
  Network& net = w_->network();
  Statuses& st = statuses_;
  for (int slot : {0, 1}) {
    if (!w_->running(slot)) continue;
    const core::Node& node = w_->node(slot);
    if (touched_[slot]) st[slot] = node.status();
    touched_[slot] = false;
    const StatusContext context{TablesRecords(node.store()), net.open(slot),
                                w_->setup().nodes[slot].max_postponed_writes,
                                w_->switchover_pending(slot)};
    std::string error = CheckStatus(st[slot], context);
    if (!error.empty()) return w_->Fail("status_consistent", Show(st[slot]) + ": " + error);
    if (st[slot].postponed > w_->workload().postponed(slot)) {
      return w_->Fail(
          "postponed_served",
          fmt::format("{} reports {} postponed writes, but its clients wait for {}", NodeName(slot),
                      st[slot].postponed, w_->workload().postponed(slot)));
    }
    if (st[slot].hlc < hlc_[slot]) {
      return w_->Fail("hlc", fmt::format("{}'s hlc went back from {} to {}", NodeName(slot),
                                         hlc_[slot], st[slot].hlc));
    }
    hlc_[slot] = st[slot].hlc;
  }
  CheckSingleActive(st);
  if (w_->failed()) return;
  CheckQuiescent(st);
  if (w_->failed()) return;
  w_->workload().CheckPending();
  if (w_->failed()) return;
  w_->pool_clients().CheckPending();
}

void Invariants::CheckSingleActive(const Statuses& st) {
  Network& net = w_->network();
  // A tampered stream may hold a receiver waiting on a garbled length: delivered bytes are then
  // not processed ones, and only the core's deadline ends that.
  const bool dual = w_->running(0) && w_->running(1) && net.alive() && net.open(0) && net.open(1) &&
                    !net.partitioned() && !net.tampered(0) && !net.tampered(1) &&
                    st[0].role == Role::kActive && st[1].role == Role::kActive &&
                    st[0].peer.connected && st[1].peer.connected;
  if (!dual) {
    dual_.on = false;
    return;
  }
  if (!dual_.on || dual_.conn != net.conn()) {
    dual_ = Episode{true, net.conn(), {net.sent(0), net.sent(1)}, w_->now()};
    return;
  }
  if (net.delivered(0) >= dual_.sent[0] && net.delivered(1) >= dual_.sent[1]) {
    w_->Fail("single_active",
             fmt::format("n1 and n2 are both active and connected on healthy connection #{} "
                         "since {}s, and everything either had sent by then ({} and {} bytes) "
                         "has been delivered",
                         net.conn(), Trace::Time(dual_.since), dual_.sent[0], dual_.sent[1]));
  }
}

void Invariants::CheckQuiescent(const Statuses& st) {
  Network& net = w_->network();
  if (!w_->running(0) || !w_->running(1) || !net.alive() || !net.open(0) || !net.open(1) ||
      net.partitioned() || !net.idle() || net.tampered(0) || net.tampered(1)) {
    return;
  }
  if (!st[0].peer.connected || !st[1].peer.connected) return;
  const int active = st[0].role == Role::kActive ? 0 : 1;
  const int standby = 1 - active;
  if (st[active].role != Role::kActive || st[standby].role != Role::kStandby) {
    return w_->Fail("roles_sane", fmt::format("connected with nothing in flight, but {}; {}",
                                              Show(st[0]), Show(st[1])));
  }
  const core::NodeStatus& a = st[active];
  const core::NodeStatus& s = st[standby];
  if (!a.peer.in_sync || a.sync != SyncState::kIdle || s.sync != SyncState::kIdle) return;
  const bool full = quiet_ && !converged_;
  if (a.digest == s.digest && a.records == s.records && !full) return;
  const store::Store& sa = w_->node(active).store();
  const store::Store& ss = w_->node(standby).store();
  if (!SameRecords(sa, ss) || a.digest != s.digest) {
    std::string diff =
        DiffSnapshots(TakeSnapshot(sa), NodeName(active), TakeSnapshot(ss), NodeName(standby));
    if (diff.empty()) diff = "equal records but different digests";
    return w_->Fail("quiet_equal",
                    fmt::format("quiescent and in sync, but {} ({}; {})", diff, Show(a), Show(s)));
  }
  for (int slot : {0, 1}) {
    std::string lost = w_->history().Check(slot, w_->node(slot).store());
    if (!lost.empty()) return w_->Fail("acked_survives_crash", lost);
  }
  CheckNoLostWrite();
  if (w_->failed()) return;
  w_->pool_clients().CheckConverged(active);
  if (w_->failed()) return;
  converged_ = true;
  w_->trace()(w_->now(), "check", "converged: {} records equal on both nodes", sa.records());
}

void Invariants::CheckNoLostWrite() {
  const std::array<uint64_t, 2> lives = {w_->running(0) ? w_->incarnation(0) : 0,
                                         w_->running(1) ? w_->incarnation(1) : 0};
  for (int slot : {0, 1}) {
    std::string lost = w_->history().Lost(w_->node(slot).store(), NodeName(slot), lives);
    if (!lost.empty()) return w_->Fail("no_lost_write", lost);
  }
}

void Invariants::AfterCrash(int slot) {
  const int survivor = 1 - slot;
  if (!w_->running(survivor)) return;
  std::string lost = w_->history().Check(survivor, w_->node(survivor).store());
  if (!lost.empty()) {
    w_->Fail("acked_survives_crash",
             fmt::format("after the crash of {}: {}", NodeName(slot), lost));
  }
}

void Invariants::FrameSent(int from, const Frame& frame, uint64_t end) {
  std::deque<Mark>& marks = marks_[from];
  auto open = std::find_if(marks.begin(), marks.end(), [](const Mark& m) { return m.open; });
  if (open != marks.end()) {
    Mark& eof = *open;
    if (frame.type == wire::MsgType::kRecords) {
      auto batch = wire::DecodeRecordBatch(frame.payload(), wire::BatchLimits{});
      if (!batch.ok() || batch->kind() != wire::SyncKind::kIncremental) {
        eof.inexact = true;
      } else {
        const std::string table(batch->table());
        batch->ForEach([&](const wire::RecordEntry& e) {
          std::optional<std::string> value;
          if (e.op == wire::RecordOp::kUpsert) value = std::string(e.value);
          eof.after.emplace_back(std::make_pair(table, std::string(e.key)), std::move(value));
        });
      }
    } else if (frame.type == wire::MsgType::kBulkBegin || frame.type == wire::MsgType::kRecordEof) {
      eof.inexact = true;
    }
  }
  bool reconcile = false;
  if (frame.type == wire::MsgType::kBulkBegin) {
    auto m = wire::DecodeBulkBegin(frame.payload());
    reconcile = m.ok() && m->kind == wire::SyncKind::kReconcile;
  } else if (frame.type == wire::MsgType::kRecordEof) {
    auto m = wire::DecodeRecordEof(frame.payload());
    reconcile = m.ok() && m->kind == wire::SyncKind::kReconcile;
  } else {
    return;
  }
  Mark mark;
  mark.conn = w_->network().conn();
  mark.end = end;
  mark.type = frame.type;
  mark.reconcile = reconcile;
  mark.incarnation = w_->incarnation(from);
  mark.open = frame.type == wire::MsgType::kRecordEof && !reconcile;
  marks.push_back(std::move(mark));
}

void Invariants::CallDone(int slot, bool overflowed) {
  for (Mark& mark : marks_[slot]) {
    if (!mark.open) continue;
    mark.open = false;
    mark.inexact = mark.inexact || overflowed;
    const store::Store& store = w_->node(slot).store();
    mark.sender_digest = store.digest();
    mark.sender_records = store.records();
    if (!mark.after.empty() && !mark.inexact) mark.sender = TakeSnapshot(store);
  }
}

void Invariants::Delivered(int to) {
  Network& net = w_->network();
  const int from = 1 - to;
  std::deque<Mark>& marks = marks_[from];
  while (!marks.empty()) {
    if (marks.front().conn != net.conn()) {
      marks.pop_front();
      continue;
    }
    if (marks.front().end > net.delivered(from)) break;
    const bool exact = marks.front().end == net.delivered(from);
    const Mark mark = std::move(marks.front());
    marks.pop_front();
    if (mark.type == wire::MsgType::kBulkBegin) {
      // A reconciliation's records are merged into the receiver: it loses nothing it holds.
      if (mark.reconcile) continue;
      // The sender's store is what it sends, unless it has died since (a kill -9 still
      // delivers what it wrote).
      if (w_->running(from) && w_->incarnation(from) == mark.incarnation) {
        std::string lost = w_->history().Discards(to, from, w_->node(from).store());
        if (!lost.empty()) return w_->Fail("acked_survives_crash", lost);
      }
      // Possibly not processed yet; dropping a holder is always on the safe side.
      w_->history().BulkBegin(to, from);
      w_->pool_clients().BulkBegin(to, from);
      continue;
    }
    // The EOF was processed if the receiver is still connected and nothing was tampered with,
    // or if it closed the channel on reading it (a digest mismatch under a --break mode).
    const bool processed = w_->running(to) && !net.tampered(from) &&
                           ((net.open(to) && w_->node(to).status().peer.connected) ||
                            digest_closed_[to] == net.conn());
    if (!processed) continue;
    if (mark.reconcile) {
      w_->history().Reconciled(to, from);
      w_->pool_clients().Reconciled(to, from);
      continue;
    }
    w_->history().BulkEnd(to, from);
    w_->pool_clients().BulkEnd(to, from);
    if (exact && !mark.inexact) CheckEof(to, from, mark);
    if (w_->failed()) return;
  }
}

void Invariants::CheckEof(int to, int from, const Mark& mark) {
  const core::NodeStatus st = w_->node(to).status();
  if (st.sync != SyncState::kIdle && digest_closed_[to] != w_->network().conn()) {
    return w_->Fail("bulk_complete",
                    fmt::format("{} was given {}'s bulk EOF but is still {} ({})", NodeName(to),
                                NodeName(from), SyncStateName(st.sync), Show(st)));
  }
  const store::Store& store = w_->node(to).store();
  if (mark.after.empty()) {
    // The sender's store at the end of its call is the one it sent: equal digests and sizes
    // settle it; otherwise name the differences against what the sender holds now.
    if (store.digest() == mark.sender_digest && store.records() == mark.sender_records) {
      std::string lost = w_->history().Check(to, store);
      if (!lost.empty()) w_->Fail("acked_survives_crash", "after a bulk sync: " + lost);
      return;
    }
    std::string diff = w_->running(from)
                           ? DiffSnapshots(TakeSnapshot(w_->node(from).store()), NodeName(from),
                                           TakeSnapshot(store), NodeName(to))
                           : "";
    return w_->Fail("bulk_complete",
                    fmt::format("right after the bulk EOF, {} holds {} records (digest {:016x}) "
                                "where {} held {} (digest {:016x}) when it sent it; against what "
                                "{} holds now: {}",
                                NodeName(to), store.records(), store.digest(), NodeName(from),
                                mark.sender_records, mark.sender_digest, NodeName(from), diff));
  }
  // What the receiver holds, with what the sender wrote after the EOF in the same call.
  Snapshot held = TakeSnapshot(store);
  for (const auto& [key, value] : mark.after) {
    if (value) {
      held[key] = *value;
    } else {
      held.erase(key);
    }
  }
  std::string diff = DiffSnapshots(mark.sender, NodeName(from), held, NodeName(to));
  if (!diff.empty()) {
    return w_->Fail("bulk_complete",
                    fmt::format("right after the bulk EOF, {} differs from what {} held when it "
                                "sent it: {}",
                                NodeName(to), NodeName(from), diff));
  }
  std::string lost = w_->history().Check(to, w_->node(to).store());
  if (!lost.empty()) w_->Fail("acked_survives_crash", "after a bulk sync: " + lost);
}

void Invariants::NodeStarted(int slot) { hlc_[slot] = 0; }

void Invariants::DigestMismatch(int slot) { digest_closed_[slot] = w_->network().conn(); }

void Invariants::QuietBegin() {
  quiet_ = true;
  quiet_since_ = w_->now();
  converged_ = false;
}

void Invariants::QuietEnd() {
  quiet_ = false;
  if (converged_) {
    // The pair converged in this window; the consumers must have followed its active.
    for (int slot : {0, 1}) {
      if (w_->running(slot) && w_->node(slot).role() == Role::kActive) {
        w_->consumers().CheckConverged(slot);
      }
    }
    return;
  }
  std::string state;
  for (int slot : {0, 1}) {
    state += w_->running(slot) ? "; " + Show(w_->node(slot).status())
                               : fmt::format("; {} down", NodeName(slot));
  }
  Network& net = w_->network();
  w_->Fail(
      "liveness",
      fmt::format("the quiet window since {}s ended without the pair converging (connection "
                  "#{} {}{}{}){}",
                  Trace::Time(quiet_since_), net.conn(), net.alive() ? "up" : "down",
                  net.partitioned() ? ", partitioned" : "", net.idle() ? ", idle" : "", state));
}

}  // namespace hasync::sim
