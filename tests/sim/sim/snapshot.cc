#include "sim/snapshot.h"

#include "fmt/format.h"

namespace hasync::sim {

Snapshot TakeSnapshot(const store::Store& store) {
  Snapshot out;
  for (size_t i = 0; i < store.table_count(); ++i) {
    const store::Table& table = store.table_at(i);
    table.ForEach([&](const store::RecordView& r) {
      out.emplace(std::make_pair(table.name(), std::string(r.key)), std::string(r.value));
    });
  }
  return out;
}

bool SameRecords(const store::Store& a, const store::Store& b) {
  if (a.records() != b.records()) return false;
  // Equal counts, and every record of `a` is in `b` with the same value: then `b` has no more.
  for (size_t i = 0; i < a.table_count(); ++i) {
    const store::Table& table = a.table_at(i);
    if (table.size() == 0) continue;
    const store::Table* other = b.Find(table.name());
    if (other == nullptr || other->size() != table.size()) return false;
    bool same = true;
    table.ForEach([&](const store::RecordView& r) {
      if (!same) return;
      const std::optional<store::RecordView> o = other->Get(r.key);
      same = o && o->value == r.value;
    });
    if (!same) return false;
  }
  return true;
}

std::string ShowValue(const std::string* value) {
  if (value == nullptr) return "absent";
  constexpr size_t kShown = 12;
  std::string_view v(*value);
  return fmt::format("'{}{}' ({} B)", v.substr(0, kShown), v.size() > kShown ? "..." : "",
                     v.size());
}

std::string DiffSnapshots(const Snapshot& a, std::string_view a_name, const Snapshot& b,
                          std::string_view b_name) {
  constexpr size_t kShown = 5;
  size_t differ = 0;
  std::string lines;
  auto note = [&](const Snapshot::key_type& key, const std::string* va, const std::string* vb) {
    if (++differ > kShown) return;
    lines += fmt::format("; {}/{}: {} {}, {} {}", key.first, key.second, a_name, ShowValue(va),
                         b_name, ShowValue(vb));
  };
  auto ia = a.begin();
  auto ib = b.begin();
  while (ia != a.end() || ib != b.end()) {
    if (ib == b.end() || (ia != a.end() && ia->first < ib->first)) {
      note(ia->first, &ia->second, nullptr);
      ++ia;
    } else if (ia == a.end() || ib->first < ia->first) {
      note(ib->first, nullptr, &ib->second);
      ++ib;
    } else {
      if (ia->second != ib->second) note(ia->first, &ia->second, &ib->second);
      ++ia;
      ++ib;
    }
  }
  if (differ == 0) return {};
  return fmt::format("{} of {}/{} records differ{}{}", differ, a.size(), b.size(), lines,
                     differ > kShown ? "; ..." : "");
}

}  // namespace hasync::sim
