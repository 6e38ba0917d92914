#include "replay/table_watch.h"

#include <algorithm>
#include <utility>

namespace hasync::replay {

TableWatch::TableWatch(std::string name, SectionFunction custom)
    : name_(std::move(name)),
      custom_(std::move(custom)),
      section_of_(custom_ ? custom_ : SectionFunction(DefaultSection)) {}

void TableWatch::OnLive(std::string_view key, std::string_view) {
  if (collecting) changed.Insert(key);
}

void TableWatch::OnGone(std::string_view key) {
  if (collecting) changed.Insert(key);
}

void TableWatch::OnRestamped(std::string_view key) {
  if (collecting) changed.Insert(key);
}

void TableWatch::OnCleared() {
  if (collecting) cleared = true;
}

uint8_t TableWatch::SectionOf(std::string_view key) const {
  return static_cast<uint8_t>(section_of_(key) % kSectionCount);
}

uint8_t TableWatch::SectionAt(const KeySet& set, size_t i) const {
  if (custom_) return SectionOf(set.key(i));
  return static_cast<uint8_t>(set.hash(i) >> 58);  // DefaultSection, without hashing again
}

void TableWatch::Uncover(std::string_view key, size_t max_keys) {
  if (!Matches(key)) return;
  if (uncovered.size() < max_keys) {
    uncovered.Insert(key);
  } else {
    uncovered_overflow |= SectionBit(SectionOf(key));
  }
}

void TableWatch::SetPrefixes(std::vector<std::string> prefixes) {
  prefixes_ = std::move(prefixes);
  any_prefix_ = std::any_of(prefixes_.begin(), prefixes_.end(),
                            [](const std::string& p) { return p.empty(); });
}

bool TableWatch::Matches(std::string_view key) const {
  if (any_prefix_) return true;
  return std::any_of(prefixes_.begin(), prefixes_.end(),
                     [key](const std::string& p) { return HasPrefix(key, p); });
}

}  // namespace hasync::replay
