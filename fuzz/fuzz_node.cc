// fuzz_node: a whole core::Node against a made-up peer. The input (node_input.h) sets the node
// up (active with records, or still in init), optionally opens the connection with a valid
// hello, and is then fed as the peer's bytes in pieces, virtual time advancing and the node's
// timers firing between them; the node may write records and ask for a switchover on the way.
// This reaches the whole receive path, not only the decoders: frames in a wrong order, hellos
// of another cluster or version, records sent to an active, acks for frames never sent, a
// switchover answer nobody asked for, a reconciliation that never ends.
//
// Besides "no crash, no sanitizer report" and NodeHarness's checks on what the node sends, it
// traps when:
//  - the heap grows by more than a fixed slack plus a bounded multiple of the bytes received
//    (hostile lengths and counts must not make the node reserve memory on trust);
//  - a node that stayed active and accepted no records has other records than it wrote itself
//    (a rejected frame changes nothing);
//  - the channel is still open a second after the peer fell silent;
//  - once the channel is gone, the node is not active and able to take a write (hostile input
//    never leaves it wedged in a role, a sync or a switchover).
#include <sanitizer/allocator_interface.h>

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "node_harness.h"
#include "node_input.h"
#include "reseal.h"
#include "wire/frame.h"
#include "wire/messages.h"

namespace {

using namespace hasync;  // NOLINT: a small harness
using namespace std::chrono_literals;
using fuzz::Require;

using fuzz::kPreloadedTables;
constexpr std::string_view kLocalTable = "local";  // the writes made during the run

// Heap the node may hold above what it held when the channel came up: a fixed slack (log
// lines, index growth, the bulk sync of the preloaded records in flight) plus this much per
// byte received (the reader's buffer, the records it stores, their index slots).
constexpr int64_t kHeapSlackBytes = 256 << 10;
constexpr int64_t kHeapPerInputByte = 64;

struct TableState {
  uint64_t digest = 0;
  size_t size = 0;
  bool operator==(const TableState&) const = default;
};

std::array<TableState, kPreloadedTables.size()> Preloaded(const core::Node& node) {
  std::array<TableState, kPreloadedTables.size()> states;
  for (size_t i = 0; i < kPreloadedTables.size(); ++i) {
    if (const store::Table* t = node.store().Find(kPreloadedTables[i])) {
      states[i] = {t->digest(), t->size()};
    }
  }
  return states;
}

// The node becomes active alone and writes its preloaded records and a delete.
void Preload(fuzz::NodeHarness& h) {
  h.Advance(h.node().config().startup_wait + 1ms);
  Require(h.node().status().role == Role::kActive, "a node alone did not become active");
  for (const fuzz::PreloadedRecord& r : fuzz::PreloadedRecords()) {
    h.node().Put(h.now(), r.table, r.key, r.value, Durability::kAsync, 0);
  }
  h.node().Erase(h.now(), kPreloadedTables[0], fuzz::kPreloadedDeletedKey, Durability::kAsync, 0);
  h.Settle();
}

// The k-th write of the run: upserts and deletes of a few keys, both durabilities, all intents.
void LocalWrite(fuzz::NodeHarness& h, uint64_t k) {
  std::string key = "k" + std::to_string(k % 16);
  auto durability = k % 2 == 0 ? Durability::kAsync : Durability::kReplicated;
  auto intent = static_cast<WriteIntent>(k % 3);
  if (k % 4 == 3) {
    h.node().Erase(h.now(), kLocalTable, key, durability, k, intent);
  } else {
    std::string value((k * 37) % 200, static_cast<char>('a' + k % 26));
    h.node().Put(h.now(), kLocalTable, key, value, durability, k, intent);
  }
  h.Settle();
}

// What the peer sends: the prefixed hello if asked, then the input (repaired if asked).
std::vector<uint8_t> PeerStream(uint8_t setup, std::span<const uint8_t> input) {
  std::vector<uint8_t> stream;
  bool hello = (setup & fuzz::kSetupHello) != 0;
  if (hello) {
    wire::FrameWriter w(&stream);
    wire::Encode(w, 1, fuzz::PeerHello(setup));
  }
  std::vector<uint8_t> rest(input.begin(), input.end());
  if ((setup & fuzz::kSetupRepair) != 0) wire::fuzz::Reseal(rest, hello ? 2 : 1);
  stream.insert(stream.end(), rest.begin(), rest.end());
  return stream;
}

int64_t HeapBytes() { return static_cast<int64_t>(__sanitizer_get_current_allocated_bytes()); }

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < fuzz::kControlBytes) return 0;
  uint8_t setup = data[0];
  size_t max_piece = data[1] & 0x7f;
  bool writes = (data[1] & fuzz::kWriteEachPiece) != 0;
  auto step = std::chrono::milliseconds(4 * (data[2] & 0x7f));
  bool switchover = (data[2] & fuzz::kRequestSwitchover) != 0;  // once it has a standby
  bool preloaded = (setup & fuzz::kSetupInit) == 0;

  std::vector<uint8_t> stream = PeerStream(setup, {data + fuzz::kControlBytes, data + size});
  fuzz::NodeHarness h(fuzz::NodeConfig(setup));
  h.Start();
  if (preloaded) Preload(h);
  auto preloaded_state = Preloaded(h.node());
  // While this holds, nothing the peer sent may have changed the preloaded records.
  auto untouched = [&] {
    return preloaded && !h.left_active() && h.node().counters().records_received == 0;
  };

  h.ChannelUp();
  int64_t heap_before = HeapBytes();
  size_t at = 0;
  for (uint64_t k = 0; at < stream.size() && h.channel_up(); ++k) {
    size_t n = max_piece == 0 ? stream.size() : 1 + (k * 2654435761u + at) % max_piece;
    n = std::min(n, stream.size() - at);
    h.Bytes(std::span(stream).subspan(at, n));
    at += n;
    Require(
        HeapBytes() - heap_before <= kHeapSlackBytes + kHeapPerInputByte * static_cast<int64_t>(at),
        "the heap grew out of proportion to the bytes received");
    if (untouched()) {
      Require(Preloaded(h.node()) == preloaded_state, "peer input changed an active's records");
    }
    if (writes) LocalWrite(h, k);
    if (switchover && h.node().RequestSwitchover(h.now()).ok()) switchover = false;
    h.Settle();
    h.Advance(step);
  }

  h.Advance(1s);
  Require(!h.channel_up(), "a silent peer held the channel past the peer deadline");
  if (untouched()) {
    Require(Preloaded(h.node()) == preloaded_state, "peer input changed an active's records");
  }
  h.Advance(h.node().config().startup_wait + 1s);
  core::NodeStatus status = h.node().status();
  Require(status.role == Role::kActive, "the node is not active once its peer is gone");
  Require(status.postponed == 0, "postponed writes outlived reconciliation mode");
  // A table that exists: the peer may have used up max_tables.
  const store::Store& store = h.node().store();
  std::string_view table = store.table_count() > 0 ? store.table_at(0).name() : kLocalTable;
  core::WriteOutcome w = h.node().Put(h.now(), table, "after", "x", Durability::kAsync, 0);
  Require(w.status.ok(), "the node refuses writes once its peer is gone");
  h.Settle();
  return 0;
}
