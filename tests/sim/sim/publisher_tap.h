// PublisherTap: the node's stream extension in seeds with consumers. It passes every hook on to
// the node life's replay::Publisher unchanged, and remembers what the simulator cannot read
// from the publisher but its checks need: which channels this node must replay in full
// whatever the consumer reports. A channel is *flagged* from the moment the node takes the
// active role without holding everything (the publisher then flags all its channels), or the
// active's ChannelState says so, until a replay of that channel is built (any replay clears
// the publisher's flag) or a ChannelState says otherwise; a ChannelDrop forgets it.
#pragma once

#include <cstdint>
#include <set>
#include <string_view>

#include "core/stream_extension.h"
#include "replay/publisher.h"

namespace hasync::sim {

class PublisherTap final : public core::StreamExtension {
 public:
  explicit PublisherTap(replay::Publisher* publisher) : publisher_(publisher) {}

  void OnBulkBegin(core::TimePoint now, core::Node& node) override;
  void OnFlush(core::TimePoint now, core::Node& node) override;
  Status OnStreamFrame(core::TimePoint now, const wire::FrameView& frame) override;
  void OnIncrementalRecord(std::string_view table, std::string_view key) override;
  void OnRoleChanged(core::TimePoint now, Role from, Role to, bool held_everything) override;

  bool flagged(uint64_t channel) const { return flagged_.contains(channel); }
  // A replay of `channel` was built.
  void Replayed(uint64_t channel) { flagged_.erase(channel); }

 private:
  replay::Publisher* publisher_;
  std::set<uint64_t> flagged_;
};

}  // namespace hasync::sim
