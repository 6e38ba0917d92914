#include "replay/history.h"

#include <algorithm>
#include <utility>

namespace hasync::replay {

ChannelHistory::ChannelHistory(size_t max_pending_ops, size_t keys_max)
    : max_pending_ops_(std::max<size_t>(max_pending_ops, 1)), keys_max_(keys_max) {}

bool ChannelHistory::Append(uint64_t op, uint64_t term, SectionMask mask,
                            std::shared_ptr<const KeyList> keys, size_t key_count) {
  if (op <= last_op()) return false;
  if (keys == nullptr) key_count = 0;
  keys_held_ += key_count;
  pending_.push_back(PendingEntry{op, op, term, mask, std::move(keys), key_count});
  Bound();
  return true;
}

void ChannelHistory::Ack(uint64_t op, uint64_t term) {
  if (op <= acked_op_) return;
  while (!pending_.empty() && pending_.front().last_op <= op) {
    DropKeys(pending_.front());
    pending_.pop_front();
    if (keyed_from_ > 0) --keyed_from_;
  }
  // A range the ack cuts keeps its upper part (ranges hold no keys).
  if (!pending_.empty() && pending_.front().first_op <= op) pending_.front().first_op = op + 1;
  acked_op_ = op;
  acked_term_ = term;
}

void ChannelHistory::Reset(uint64_t acked_op, uint64_t acked_term,
                           const std::vector<wire::PendingRange>& ranges) {
  std::deque<PendingEntry> old = std::move(pending_);
  pending_.clear();
  keys_held_ = 0;
  keyed_from_ = 0;
  acked_op_ = acked_op;
  acked_term_ = acked_term;
  auto held = old.begin();
  for (const wire::PendingRange& r : ranges) {
    PendingEntry e{r.first_op, r.last_op, r.term, r.mask, nullptr, 0};
    while (held != old.end() && held->last_op < r.first_op) ++held;
    if (held != old.end() && held->first_op == e.first_op && held->last_op == e.last_op &&
        held->term == e.term && held->mask == e.mask) {
      e.keys = std::move(held->keys);
      e.key_count = e.keys ? held->key_count : 0;
      keys_held_ += e.key_count;
    }
    pending_.push_back(std::move(e));
  }
  Bound();
}

std::optional<uint64_t> ChannelHistory::TermOf(uint64_t op) const {
  if (op == 0 || op < acked_op_) return std::nullopt;
  if (op == acked_op_) return acked_term_ != 0 ? std::optional(acked_term_) : std::nullopt;
  auto it = std::partition_point(pending_.begin(), pending_.end(),
                                 [op](const PendingEntry& e) { return e.last_op < op; });
  if (it == pending_.end() || it->first_op > op || it->term == 0) return std::nullopt;
  return it->term;
}

uint64_t ChannelHistory::last_op() const {
  return pending_.empty() ? acked_op_ : pending_.back().last_op;
}

size_t ChannelHistory::pending_ops() const {
  size_t n = 0;
  for (const PendingEntry& e : pending_) n += e.last_op - e.first_op + 1;
  return n;
}

std::vector<wire::PendingRange> ChannelHistory::Ranges() const {
  std::vector<wire::PendingRange> out;
  out.reserve(pending_.size());
  for (const PendingEntry& e : pending_) out.push_back({e.first_op, e.last_op, e.term, e.mask});
  return out;
}

void ChannelHistory::Bound() {
  while (keys_held_ > keys_max_ && keyed_from_ < pending_.size()) {
    DropKeys(pending_[keyed_from_++]);
  }
  while (pending_.size() > max_pending_ops_ && pending_.size() >= 2) {
    PendingEntry older = std::move(pending_[0]);
    PendingEntry newer = std::move(pending_[1]);
    DropKeys(older);
    DropKeys(newer);
    pending_.pop_front();
    pending_.front() = PendingEntry{
        older.first_op,          newer.last_op, older.term == newer.term ? older.term : 0,
        older.mask | newer.mask, nullptr,       0};
    keyed_from_ = std::max<size_t>(keyed_from_, 2) - 1;
  }
}

void ChannelHistory::DropKeys(PendingEntry& entry) {
  keys_held_ -= entry.key_count;
  entry.keys.reset();
  entry.key_count = 0;
}

}  // namespace hasync::replay
