#include "consumer/key_index.h"

#include <xxhash.h>

namespace hasync::consumer {

uint64_t ValueHash(std::string_view value) { return XXH3_64bits(value.data(), value.size()); }

bool KeyIndex::Put(std::string_view key, uint8_t section, uint64_t hash) {
  auto [it, inserted] = map_.try_emplace(std::string(key), section, hash);
  std::string_view held = it->first;  // the map's copy: the view the section set keeps
  if (inserted) {
    by_section_[section].insert(held);
    return true;
  }
  auto& [old_section, old_hash] = it->second;
  if (old_section != section) {
    by_section_[old_section].erase(held);
    by_section_[section].insert(held);
    old_section = section;
  }
  bool changed = old_hash != hash;
  old_hash = hash;
  return changed;
}

bool KeyIndex::Erase(std::string_view key) {
  auto it = map_.find(key);
  if (it == map_.end()) return false;
  by_section_[it->second.first].erase(it->first);
  map_.erase(it);
  return true;
}

bool KeyIndex::Contains(std::string_view key) const { return map_.find(key) != map_.end(); }

}  // namespace hasync::consumer
