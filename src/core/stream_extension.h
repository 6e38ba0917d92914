// StreamExtension: a layer above the core that puts its own frames on the sync channel, in
// order with the records (the consumers' replay stream, src/replay/).
//
// The node calls it from inside its own inputs, so it stays deterministic and the simulator
// covers it: on the active at the start of every bulk sync toward the standby (the extension
// sends its snapshot right after the BulkBegin) and at the end of every turn after the turn's
// records went out (it sends what the turn produced); on the standby with each of its frames,
// in stream order, and with the key of each incremental record applied (not those of bulk syncs
// or reconciliations); on both at every role change. Frames it sends with Node::SendToPeer are
// numbered, acknowledged and bounded like the node's own.
#pragma once

#include <string_view>

#include "core/config.h"
#include "hasync/status.h"
#include "hasync/types.h"
#include "wire/frame.h"

namespace hasync::core {

class Node;

class StreamExtension {
 public:
  virtual ~StreamExtension() = default;

  // Active: a bulk sync toward the standby begins (also the empty one that confirms a standby
  // after a reconciliation); what is sent now follows the BulkBegin.
  virtual void OnBulkBegin(TimePoint now, Node& node) = 0;
  // End of a turn (Node::Flush), after the turn's records were sent. Called on every role; the
  // extension sends only when node.CanSendToPeer().
  virtual void OnFlush(TimePoint now, Node& node) = 0;
  // A frame of types kChannelState..kChannelDrop from the peer, in stream order. An error
  // closes the channel as a protocol error (the node counts it).
  virtual Status OnStreamFrame(TimePoint now, const wire::FrameView& frame) = 0;
  // Standby: a record of an incremental batch was applied to `table` (stored or erased).
  virtual void OnIncrementalRecord(std::string_view table, std::string_view key) = 0;
  // The node's role changed. `held_everything`: on a move to active, the node had completed a
  // bulk sync from the old active on the last connection (or had handed the role over and taken
  // it back), so its records are the old active's up to the last frames it received.
  virtual void OnRoleChanged(TimePoint now, Role from, Role to, bool held_everything) = 0;
};

}  // namespace hasync::core
