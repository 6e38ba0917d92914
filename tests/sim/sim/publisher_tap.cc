#include "sim/publisher_tap.h"

namespace hasync::sim {

void PublisherTap::OnBulkBegin(core::TimePoint now, core::Node& node) {
  publisher_->OnBulkBegin(now, node);
}

void PublisherTap::OnFlush(core::TimePoint now, core::Node& node) {
  publisher_->OnFlush(now, node);
}

Status PublisherTap::OnStreamFrame(core::TimePoint now, const wire::FrameView& frame) {
  Status st = publisher_->OnStreamFrame(now, frame);
  if (!st.ok()) return st;
  if (frame.type == wire::MsgType::kChannelState) {
    auto m = wire::DecodeChannelState(frame.payload, publisher_->config().limits);
    if (m.ok() && m->full_replay) {
      flagged_.insert(m->channel);
    } else if (m.ok()) {
      flagged_.erase(m->channel);
    }
  } else if (frame.type == wire::MsgType::kChannelDrop) {
    auto m = wire::DecodeChannelDrop(frame.payload);
    if (m.ok() && m->channel == 0) flagged_.clear();
    if (m.ok()) flagged_.erase(m->channel);
  }
  return st;
}

void PublisherTap::OnIncrementalRecord(std::string_view table, std::string_view key) {
  publisher_->OnIncrementalRecord(table, key);
}

void PublisherTap::OnRoleChanged(core::TimePoint now, Role from, Role to, bool held_everything) {
  publisher_->OnRoleChanged(now, from, to, held_everything);
  if (to != Role::kActive || held_everything) return;
  for (const replay::ChannelInfo& info : publisher_->Channels()) flagged_.insert(info.channel);
}

}  // namespace hasync::sim
