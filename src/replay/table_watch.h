// TableWatch: one subscribed table as the publisher sees it. As an observer of the table
// (Node::ObserveTable) it collects, on the active, the keys each turn changes; on the standby
// it keeps the keys applied that no op announced yet ("uncovered"), limited to the keys some
// channel's prefix matches, at most max_keys of them and past that only their sections. It
// also gives the table's sections (DefaultSection unless the application set a function).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "replay/key_set.h"
#include "replay/sections.h"
#include "store/table.h"
#include "store/table_observer.h"

namespace hasync::replay {

class TableWatch : public store::TableObserver {
 public:
  // `custom`: the application's section function, or empty for DefaultSection.
  TableWatch(std::string name, SectionFunction custom);

  // store::TableObserver: a change counts only while `collecting` (this node is active).
  void OnLive(std::string_view key, std::string_view value) override;
  void OnGone(std::string_view key) override;
  void OnCleared() override;
  // A replay's walk will not visit the key now: it becomes a change of the turn like any other.
  void OnRestamped(std::string_view key) override;

  const std::string& name() const { return name_; }
  uint8_t SectionOf(std::string_view key) const;  // 0..63
  // The section of the key `i` of `set` (reusing its hash for DefaultSection).
  uint8_t SectionAt(const KeySet& set, size_t i) const;
  const SectionFunction& section_function() const { return section_of_; }

  // Standby: a key an incremental batch changed. `max_keys` bounds the keys held (past it
  // only the key's section is kept).
  void Uncover(std::string_view key, size_t max_keys);
  // The prefixes of the table's channels changed; `Uncover` looks them up again.
  void SetPrefixes(std::vector<std::string> prefixes);

  // What this turn changed (active).
  bool collecting = false;
  KeySet changed;
  bool cleared = false;     // the table was emptied at once: full replays
  SectionMask unknown = 0;  // sections changed by keys not in `changed` (uncovered overflow)
  // What the standby applied that no op announced yet.
  KeySet uncovered;
  SectionMask uncovered_overflow = 0;
  size_t channels = 0;  // channels subscribed to the table

  // Scratch of the turn being published: the changed keys' sections and records, by index.
  static constexpr size_t kNotInTurn = ~size_t{0};
  size_t turn_index = kNotInTurn;  // its entry in the turn's KeyList
  std::vector<uint8_t> turn_sections;
  std::vector<std::optional<store::RecordView>> turn_records;

 private:
  bool Matches(std::string_view key) const;

  std::string name_;
  SectionFunction custom_;
  SectionFunction section_of_;  // custom_ or DefaultSection, for the planner
  std::vector<std::string> prefixes_;
  bool any_prefix_ = false;  // a channel takes the whole table
};

inline bool HasPrefix(std::string_view key, std::string_view prefix) {
  return key.substr(0, prefix.size()) == prefix;
}

}  // namespace hasync::replay
