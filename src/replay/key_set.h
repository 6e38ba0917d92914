// KeySet: the keys of one turn (or the keys a standby applied that no op announced yet), each
// once, in the order they were first inserted.
//
// An open-addressing table of indexes into a vector of keys, so a turn's keys cost one string
// each and no node allocation per key; the XXH3-64 of each key is kept, and DefaultSection
// reuses it. Take() hands the keys over (they become a turn's KeyList) and empties the set in
// time proportional to its keys, not to its capacity.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace hasync::replay {

class KeySet {
 public:
  // False if `key` is already held.
  bool Insert(std::string_view key);
  size_t size() const { return keys_.size(); }
  bool empty() const { return keys_.empty(); }
  const std::string& key(size_t i) const { return keys_[i]; }
  uint64_t hash(size_t i) const { return hashes_[i]; }  // XXH3_64bits of key(i)
  // The keys in insertion order; the set is empty afterwards.
  std::vector<std::string> Take();
  void Clear() { (void)Take(); }

 private:
  size_t Probe(std::string_view key, uint64_t hash) const;  // its slot, or the empty one
  void Grow();

  std::vector<std::string> keys_;
  std::vector<uint64_t> hashes_;
  std::vector<uint32_t> slots_;  // 0: empty; else 1 + an index into keys_
};

}  // namespace hasync::replay
