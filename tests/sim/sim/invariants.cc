#include "sim/invariants.h"

#include "fmt/format.h"
#include "sim/world.h"

namespace hasync::sim {
namespace {

uint64_t TablesRecords(const store::Store& store) {
  uint64_t n = 0;
  for (size_t i = 0; i < store.table_count(); ++i) n += store.table_at(i).size();
  return n;
}

std::string Show(const core::NodeStatus& st) {
  return fmt::format("{} {} sync {} gvn {} records {} peer{} {}{}", NodeName(st.node_id - 1),
                     RoleName(st.role), SyncStateName(st.sync), st.gvn, st.records,
                     st.peer.connected ? "" : " not connected", RoleName(st.peer.role),
                     st.peer.in_sync ? " in sync" : "");
}

}  // namespace

std::string CheckStatus(const core::NodeStatus& st, uint64_t tables_records, bool endpoint_open) {
  if (st.records != tables_records) {
    return fmt::format("status reports {} records but its tables hold {}", st.records,
                       tables_records);
  }
  if (st.sync == SyncState::kBulkSending && st.role != Role::kActive) {
    return fmt::format("sending a bulk sync while {}", RoleName(st.role));
  }
  if (st.sync == SyncState::kBulkReceiving && st.role != Role::kStandby) {
    return fmt::format("receiving a bulk sync while {}", RoleName(st.role));
  }
  if (st.peer.connected && !endpoint_open) {
    return "reports its peer connected on a channel that was closed";
  }
  return {};
}

void Invariants::AfterStep() {
  Network& net = w_->network();
  Statuses st{};
  for (int slot : {0, 1}) {
    if (!w_->running(slot)) continue;
    const core::Node& node = w_->node(slot);
    st[slot] = node.status();
    std::string error = CheckStatus(st[slot], TablesRecords(node.store()), net.open(slot));
    if (!error.empty()) return w_->Fail("status_consistent", Show(st[slot]) + ": " + error);
  }
  CheckSingleActive(st);
  if (w_->failed()) return;
  CheckQuiescent(st);
  if (w_->failed()) return;
  w_->workload().CheckPending();
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
  const Snapshot sa = TakeSnapshot(w_->node(active).store());
  const Snapshot ss = TakeSnapshot(w_->node(standby).store());
  std::string diff = DiffSnapshots(sa, NodeName(active), ss, NodeName(standby));
  if (diff.empty() && a.digest != s.digest) diff = "equal records but different digests";
  if (!diff.empty()) {
    return w_->Fail("quiet_equal",
                    fmt::format("quiescent and in sync, but {} ({}; {})", diff, Show(a), Show(s)));
  }
  for (int slot : {0, 1}) {
    std::string lost = w_->history().Check(slot, w_->node(slot).store());
    if (!lost.empty()) return w_->Fail("acked_survives_crash", lost);
  }
  converged_ = true;
  w_->trace()(w_->now(), "check", "converged: {} records equal on both nodes", sa.size());
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
  if (frame.type != wire::MsgType::kBulkBegin && frame.type != wire::MsgType::kRecordEof) return;
  Mark mark{w_->network().conn(), end, frame.type, w_->incarnation(from), {}};
  if (frame.type == wire::MsgType::kRecordEof) mark.sender = TakeSnapshot(w_->node(from).store());
  marks_[from].push_back(std::move(mark));
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
      // The sender's store is what it sends, unless it has died since (a kill -9 still
      // delivers what it wrote).
      if (w_->running(from) && w_->incarnation(from) == mark.incarnation && !isolated_[from]) {
        std::string lost = w_->history().Discards(to, from, w_->node(from).store());
        if (!lost.empty()) {
          return w_->Fail("acked_survives_crash",
                          lost + " (no partition or delay spike hid one node from the other)");
        }
      }
      // Possibly not processed yet; dropping a holder is always on the safe side.
      w_->history().BulkBegin(to, from);
      continue;
    }
    // The EOF was processed if the receiver is still connected and nothing was tampered with.
    if (!w_->running(to) || !net.open(to) || net.tampered(from) ||
        !w_->node(to).status().peer.connected) {
      continue;
    }
    w_->history().BulkEnd(to, from);
    fresh_[to] = isolated_[to] = false;
    if (exact) CheckEof(to, from, mark.sender);
    if (w_->failed()) return;
  }
}

void Invariants::CheckEof(int to, int from, const Snapshot& expected) {
  const core::NodeStatus st = w_->node(to).status();
  if (st.sync != SyncState::kIdle) {
    return w_->Fail("bulk_complete",
                    fmt::format("{} was given {}'s bulk EOF but is still {} ({})", NodeName(to),
                                NodeName(from), SyncStateName(st.sync), Show(st)));
  }
  std::string diff =
      DiffSnapshots(expected, NodeName(from), TakeSnapshot(w_->node(to).store()), NodeName(to));
  if (!diff.empty()) {
    return w_->Fail("bulk_complete",
                    fmt::format("right after the bulk EOF, {} differs from what {} held when it "
                                "sent it: {}",
                                NodeName(to), NodeName(from), diff));
  }
  std::string lost = w_->history().Check(to, w_->node(to).store());
  if (!lost.empty()) w_->Fail("acked_survives_crash", "after a bulk sync: " + lost);
}

void Invariants::NodeStarted(int slot) {
  fresh_[slot] = true;
  isolated_[slot] = w_->network().partitioned() || w_->network().spiking();
}

void Invariants::NetworkFault() {
  for (int slot : {0, 1}) isolated_[slot] = isolated_[slot] || fresh_[slot];
}

void Invariants::QuietBegin() {
  quiet_ = true;
  quiet_since_ = w_->now();
  converged_ = false;
}

void Invariants::QuietEnd() {
  quiet_ = false;
  if (converged_) return;
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
