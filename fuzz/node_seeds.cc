#include "node_seeds.h"

#include <cstdint>
#include <string>
#include <utility>

#include "node_input.h"
#include "store/store.h"

namespace hasync::fuzz {
namespace {

using wire::SyncKind;

// What the peer sends, numbered as it goes. With kSetupHello the target sends the hello, so
// the conversation starts at frame 2.
class Peer {
 public:
  explicit Peer(uint8_t setup) : setup_(setup), seq_((setup & kSetupHello) != 0 ? 2 : 1) {}

  template <typename Message>
  Peer& Send(const Message& m) {
    Append(Frame(m, seq_++));
    return *this;
  }
  Peer& Records(SyncKind kind, const std::string& table, int entries, uint64_t first_rvn) {
    Append(Batch(kind, table, entries, seq_++, first_rvn));
    return *this;
  }
  Peer& Records(SyncKind kind, std::string_view table, const std::vector<wire::RecordEntry>& es) {
    Bytes frame;
    wire::FrameWriter frames(&frame);
    wire::RecordBatchWriter batch(&frames);
    batch.Begin(seq_++, kind, table);
    for (const wire::RecordEntry& e : es) batch.Add(e);
    batch.Finish();
    Append(frame);
    return *this;
  }
  // `pieces` and `step`: bytes 1 and 2 of the input (node_input.h).
  NodeSeed Seed(std::string name, uint8_t pieces, uint8_t step) const {
    Bytes input = {setup_, pieces, step};
    input.insert(input.end(), stream_.begin(), stream_.end());
    return {std::move(name), std::move(input)};
  }

 private:
  void Append(const Bytes& frame) { stream_.insert(stream_.end(), frame.begin(), frame.end()); }

  uint8_t setup_;
  uint64_t seq_;
  Bytes stream_;
};

constexpr uint8_t kRoleInit = 0 << kSetupRoleShift;
constexpr uint8_t kRoleActive = 1 << kSetupRoleShift;
constexpr uint8_t kRoleStandby = 2 << kSetupRoleShift;
constexpr uint8_t kFollow = kSetupHello | kSetupRepair;  // a valid hello, frames repaired

constexpr uint8_t kActive = 1, kStandby = 2;                      // hasync::Role
constexpr uint8_t kIdle = 0, kBulkSending = 1, kReconciling = 3;  // hasync::SyncState
constexpr uint64_t kPeerStamp = (kWallMs + 50) << 16;             // an HLC ahead of the node's

// The digest a node holds after a bulk sync of Batch(kBulk, table, entries) into an empty
// store (deletes of keys it lacks change nothing), for an EOF it accepts.
uint64_t DigestAfterBulk(const std::string& table, int entries, uint64_t first_rvn) {
  store::Store store(NodeConfig(0).limits);
  store::Table* t = store.Open(table).value();
  for (int i = 0; i < entries; ++i) {
    std::string key = SeedKey(i), value = SeedValue(i);
    wire::RecordEntry e = SeedEntry(i, key, value, first_rvn);
    if (e.op == wire::RecordOp::kUpsert) {
      (void)t->Upsert(e.key, e.value, e.rvn, e.stamp, e.origin);
    } else {
      t->Remove(e.key);
    }
  }
  return store.digest();
}

// The preloaded records of `table` as a yielding peer reconciles them: same keys and values, older
// stamps, so the node keeps its own (and its delete) and its digest does not change.
std::vector<wire::RecordEntry> SameAsPreloaded(const std::vector<PreloadedRecord>& records,
                                               std::string_view table, uint64_t rvn) {
  std::vector<wire::RecordEntry> entries;
  for (const PreloadedRecord& r : records) {
    if (r.table != table) continue;
    entries.push_back({wire::RecordOp::kUpsert, r.key, r.value, rvn, 1000, kPeerId});
  }
  return entries;
}

uint64_t PreloadedDigest(const std::vector<PreloadedRecord>& records) {
  store::Store store(NodeConfig(0).limits);
  for (const PreloadedRecord& r : records) {
    (void)store.Open(r.table).value()->Upsert(r.key, r.value, 1, 1, kNodeId);
  }
  store.Open(kPreloadedTables[0]).value()->Erase(kPreloadedDeletedKey, 2, 2, kNodeId);
  return store.digest();
}

// A hello of the peer, as PeerHello would send it, with one thing changed.
template <typename Change>
NodeSeed Rejected(std::string name, Change change) {
  wire::Hello hello = PeerHello(kRoleStandby);
  change(hello);
  return Peer(kSetupRepair).Send(hello).Send(wire::Heartbeat{kStandby, kIdle, 3}).Seed(name, 0, 10);
}

// The node follows an active peer through a bulk sync (`setup`: how it comes to be standby).
Peer BulkSyncFromPeer(uint8_t setup) {
  Peer p(setup);
  p.Send(wire::Heartbeat{kActive, kBulkSending, 3})
      .Send(wire::BulkBegin{SyncKind::kBulk, 10, 6})
      .Records(SyncKind::kBulk, "sessions", 6, 10)
      .Send(wire::RecordEof{SyncKind::kBulk, 10, 6, DigestAfterBulk("sessions", 6, 10)})
      .Records(SyncKind::kIncremental, "nat", 3, 16)
      .Send(wire::Heartbeat{kActive, kIdle, 18});
  return p;
}

}  // namespace

std::vector<NodeSeed> NodeSeeds() {
  std::vector<NodeSeed> seeds;
  auto add = [&](NodeSeed s) { seeds.push_back(std::move(s)); };

  // The node is active with records; the peer joins as its standby, acks its bulk sync
  // (frames 2-5: begin, one batch per table, EOF) and follows.
  uint8_t standby = kFollow | kRoleStandby;
  add(Peer(standby)
          .Send(wire::Heartbeat{kStandby, kIdle, 3})
          .Send(wire::Ack{5})
          .Send(wire::Heartbeat{kStandby, kIdle, 4})
          .Send(wire::Ack{6})
          .Seed("standby_follows", 100, 2));
  // ... and the node hands the active role over to it; the peer then streams as active.
  add(Peer(standby)
          .Send(wire::Heartbeat{kStandby, kIdle, 3})
          .Send(wire::Ack{5})
          .Send(wire::SwitchoverResponse{1, true, wire::SwitchoverRefusal::kNone})
          .Send(wire::Heartbeat{kActive, kIdle, 4})
          .Records(SyncKind::kIncremental, "sessions", 3, 10)
          .Send(wire::Heartbeat{kActive, kIdle, 12})
          .Seed("standby_takes_over", 80, 2 | kRequestSwitchover));
  // A standby with a higher priority that preempts once in sync.
  add(Peer(standby | kSetupOutranks | kSetupPreempt)
          .Send(wire::Heartbeat{kStandby, kIdle, 3})
          .Send(wire::Ack{5})
          .Send(wire::SwitchoverResponse{1, true, wire::SwitchoverRefusal::kNone})
          .Send(wire::Heartbeat{kActive, kIdle, 4})
          .Seed("standby_preempts", 80, 2));
  // Small windows: the bulk sync pauses for acks, the node writes after every piece and the
  // standby acks slowly, or never.
  add(Peer(standby | kSetupTight)
          .Send(wire::Heartbeat{kStandby, kIdle, 3})
          .Send(wire::Ack{3})
          .Send(wire::Ack{5})
          .Send(wire::Heartbeat{kStandby, kIdle, 4})
          .Send(wire::Ack{7})
          .Send(wire::Ack{7})
          .Seed("tight_slow_acks", 60, 2 | kRequestSwitchover));
  Peer silent(standby | kSetupTight);
  for (int i = 0; i < 12; ++i) silent.Send(wire::Heartbeat{kStandby, kIdle, 3});
  add(silent.Seed("tight_never_acks", 60, 2));
  uint8_t writes = kWriteEachPiece;
  add(Peer(standby | kSetupTight)
          .Send(wire::Heartbeat{kStandby, kIdle, 3})
          .Send(wire::Ack{4})
          .Send(wire::Heartbeat{kStandby, kIdle, 3})
          .Send(wire::Ack{8})
          .Seed("tight_writes", writes | 60, 2));

  // The node starts in init; the peer is active (or outranks it) and bulk-syncs it, streams,
  // hands the role over, says goodbye.
  uint8_t init = kSetupInit | kFollow;
  add(BulkSyncFromPeer(init | kRoleActive).Seed("init_bulk_from_active", 120, 2));
  add(BulkSyncFromPeer(init | kRoleActive).Seed("init_bulk_from_active_bytewise", 1, 0));
  add(BulkSyncFromPeer(init | kRoleActive)
          .Send(wire::SwitchoverRequest{1, 20, kPeerStamp, false})
          .Send(wire::Heartbeat{kStandby, kIdle, 20})
          .Send(wire::Goodbye{wire::GoodbyeReason::kShutdown, "bye"})
          .Seed("init_bulk_then_switchover", writes | 120, 2));
  add(BulkSyncFromPeer(init | kRoleInit | kSetupOutranks).Seed("init_outranked", 120, 2));

  // Split-brain: the node (active with records) meets an active peer. Lower priority: the peer
  // yields and reconciles into the node, which bulk-syncs back.
  add(Peer(kFollow | kRoleActive)
          .Send(wire::Heartbeat{kStandby, kReconciling, 4})
          .Send(wire::SyncRequest{SyncKind::kReconcile, 11, wire::ReconcileReason::kSplitBrain})
          .Send(wire::BulkBegin{SyncKind::kReconcile, 11, 4})
          .Records(SyncKind::kReconcile, "sessions", 4, 11)
          .Send(wire::RecordEof{SyncKind::kReconcile, 11, 4, 0x0123456789abcdef})
          .Send(wire::Ack{3})
          .Send(wire::Heartbeat{kStandby, kIdle, 12})
          .Send(wire::Ack{8})
          .Seed("split_brain_peer_yields", 100, 2));
  // ... slowly, while the node writes allocations: they wait for the reconciliation, and some
  // past postpone_timeout.
  Peer slow(kFollow | kRoleActive);
  slow.Send(wire::Heartbeat{kStandby, kReconciling, 4})
      .Send(wire::SyncRequest{SyncKind::kReconcile, 11, wire::ReconcileReason::kSplitBrain});
  for (int i = 0; i < 16; ++i) slow.Send(wire::Heartbeat{kStandby, kReconciling, 4});
  slow.Send(wire::BulkBegin{SyncKind::kReconcile, 11, 4})
      .Records(SyncKind::kReconcile, "sessions", 4, 11)
      .Send(wire::RecordEof{SyncKind::kReconcile, 11, 4, 0x0123456789abcdef});
  add(slow.Seed("split_brain_postponed_writes", writes | 100, 12));
  // ... with the very records the node holds: they agree, and the node confirms the peer in sync
  // with an empty bulk sync instead of sending everything back.
  std::vector<PreloadedRecord> preloaded = PreloadedRecords();
  add(Peer(kFollow | kRoleActive)
          .Send(wire::Heartbeat{kStandby, kReconciling, 4})
          .Send(wire::SyncRequest{SyncKind::kReconcile, 11, wire::ReconcileReason::kSplitBrain})
          .Send(wire::BulkBegin{SyncKind::kReconcile, 11, 6})
          .Records(SyncKind::kReconcile, kPreloadedTables[0],
                   SameAsPreloaded(preloaded, kPreloadedTables[0], 11))
          .Records(SyncKind::kReconcile, kPreloadedTables[1],
                   SameAsPreloaded(preloaded, kPreloadedTables[1], 11))
          .Send(wire::RecordEof{SyncKind::kReconcile, 11, 6, PreloadedDigest(preloaded)})
          .Send(wire::Ack{5})
          .Send(wire::Heartbeat{kStandby, kIdle, 11})
          .Seed("split_brain_peer_agrees", 120, 2));
  // Higher priority: the node yields, reconciles into the peer and is bulk-synced back.
  add(Peer(kFollow | kRoleActive | kSetupOutranks)
          .Send(wire::Heartbeat{kActive, kIdle, 3})
          .Send(wire::SyncResponse{SyncKind::kReconcile, true, 4})
          .Send(wire::Ack{8})
          .Send(wire::BulkBegin{SyncKind::kBulk, 20, 5})
          .Records(SyncKind::kBulk, "sessions", 5, 20)
          .Send(wire::RecordEof{SyncKind::kBulk, 20, 5, DigestAfterBulk("sessions", 5, 20)})
          .Send(wire::Heartbeat{kActive, kIdle, 25})
          .Seed("split_brain_node_yields", 100, 2));

  // Hellos the node must refuse, and a corrupted one (not repaired: the checksum fails).
  add(Rejected("hello_other_cluster", [](wire::Hello& h) { h.cluster = "other"; }));
  add(Rejected("hello_version_2", [](wire::Hello& h) { h.version = 2; }));
  add(Rejected("hello_version_4", [](wire::Hello& h) { h.version = wire::kProtocolVersion + 1; }));
  add(Rejected("hello_same_node_id", [](wire::Hello& h) { h.node_id = kNodeId; }));
  add(Rejected("hello_other_settings", [](wire::Hello& h) { h.config_digest ^= 1; }));
  NodeSeed corrupt = Rejected("hello_bad_checksum", [](wire::Hello&) {});
  corrupt.input[0] &= ~kSetupRepair;
  corrupt.input[kControlBytes + 20] ^= 0x40;  // inside the hello's payload
  add(corrupt);

  // Valid frames in a wrong order.
  add(Peer(kSetupRepair).Send(wire::Heartbeat{kActive, kIdle, 3}).Seed("before_hello", 0, 10));
  add(Peer(standby).Send(wire::Ack{1000}).Seed("ack_never_sent", 0, 10));
  add(Peer(standby)
          .Records(SyncKind::kIncremental, "sessions", 3, 10)
          .Seed("records_to_active", 0, 10));
  add(Peer(standby)
          .Send(wire::RecordEof{SyncKind::kBulk, 10, 0, 0})
          .Send(wire::SwitchoverResponse{9, true, wire::SwitchoverRefusal::kNone})
          .Send(wire::SyncResponse{SyncKind::kReconcile, true, 9})
          .Seed("unasked_answers", 80, 2));
  add(Peer(standby).Send(PeerHello(standby)).Seed("second_hello", 0, 10));
  add(Peer(init | kRoleActive)
          .Send(wire::BulkBegin{SyncKind::kBulk, 10, 2})
          .Records(SyncKind::kBulk, "sessions", 2, 5)
          .Seed("rvn_goes_down", 0, 10));
  return seeds;
}

}  // namespace hasync::fuzz
