#include "replay/key_set.h"

#include <xxhash.h>

#include <utility>

namespace hasync::replay {

bool KeySet::Insert(std::string_view key) {
  if ((keys_.size() + 1) * 2 > slots_.size()) Grow();
  const uint64_t hash = XXH3_64bits(key.data(), key.size());
  const size_t slot = Probe(key, hash);
  if (slots_[slot] != 0) return false;
  keys_.emplace_back(key);
  hashes_.push_back(hash);
  slots_[slot] = static_cast<uint32_t>(keys_.size());
  return true;
}

std::vector<std::string> KeySet::Take() {
  // Every key goes, so the cluster around each key's home slot holds only keys that go: empty
  // it whole; later walks stop at once.
  const size_t mask = slots_.size() - 1;
  for (uint64_t hash : hashes_) {
    for (size_t s = hash & mask; slots_[s] != 0; s = (s + 1) & mask) slots_[s] = 0;
  }
  hashes_.clear();
  return std::exchange(keys_, {});
}

size_t KeySet::Probe(std::string_view key, uint64_t hash) const {
  const size_t mask = slots_.size() - 1;
  size_t s = hash & mask;
  while (slots_[s] != 0 && (hashes_[slots_[s] - 1] != hash || keys_[slots_[s] - 1] != key)) {
    s = (s + 1) & mask;
  }
  return s;
}

void KeySet::Grow() {
  slots_.assign(slots_.empty() ? 64 : slots_.size() * 2, 0);
  for (size_t i = 0; i < keys_.size(); ++i) {
    const size_t mask = slots_.size() - 1;
    size_t s = hashes_[i] & mask;
    while (slots_[s] != 0) s = (s + 1) & mask;
    slots_[s] = static_cast<uint32_t>(i + 1);
  }
}

}  // namespace hasync::replay
