// KeyIndex: what a consumer holds of its subscription, key by key: the record's section and a
// hash of its value (XXH3-64), not the value itself (the application keeps that).
//
// It is what lets a consumer apply a replay on its own: the keys of a reset section that the
// replay did not carry are the deletes, and a replayed record whose hash is unchanged is no
// change. Keys are also listed per section, in key order, so finding a section's keys costs
// the size of that section, not of the whole copy, and the deletes come out in a stable order.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>

#include "wire/consumer_messages.h"

namespace hasync::consumer {

// Lets the map be searched with a string_view, without building a std::string per lookup.
struct KeyHash {
  using is_transparent = void;
  size_t operator()(std::string_view key) const { return std::hash<std::string_view>{}(key); }
};

// key -> (section, XXH3-64 of the value)
using IndexMap =
    std::unordered_map<std::string, std::pair<uint8_t, uint64_t>, KeyHash, std::equal_to<>>;

uint64_t ValueHash(std::string_view value);

class KeyIndex {
 public:
  KeyIndex() = default;
  // The per-section sets hold views of the map's keys: copying would leave them dangling.
  KeyIndex(const KeyIndex&) = delete;
  KeyIndex& operator=(const KeyIndex&) = delete;

  // Holds `key` in `section` with `hash`; returns whether that changed anything (a new key, or
  // another hash). A key moving section is no change to the application.
  bool Put(std::string_view key, uint8_t section, uint64_t hash);
  // Returns whether the key was held.
  bool Erase(std::string_view key);
  bool Contains(std::string_view key) const;

  // The keys of `section`, in key order; views stay valid until that key is erased.
  const std::set<std::string_view>& Section(uint8_t section) const { return by_section_[section]; }
  const IndexMap& map() const { return map_; }
  size_t size() const { return map_.size(); }

 private:
  IndexMap map_;
  std::array<std::set<std::string_view>, wire::kSectionCount> by_section_;
};

}  // namespace hasync::consumer
