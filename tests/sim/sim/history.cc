#include "sim/history.h"

#include <algorithm>

#include "fmt/format.h"
#include "sim/snapshot.h"
#include "sim/trace.h"

namespace hasync::sim {

std::string ShowRank(Rank rank) {
  return fmt::format("{}.{}@n{}", rank.stamp >> 16, rank.stamp & 0xffff, rank.origin);
}

void History::Applied(const KeyRef& key, Rank rank, std::optional<std::string> value,
                      const Writer& writer) {
  keys_[key].writes.push_back(Write{rank, std::move(value), writer, true});
  ++writes_;
}

void History::Postponed(const KeyRef& key, std::optional<std::string> value) {
  keys_[key].writes.push_back(Write{Rank{}, std::move(value), Writer{}, false});
}

void History::Ran(const KeyRef& key, const std::optional<std::string>& value, Rank rank,
                  const Writer& writer) {
  std::vector<Write>& writes = keys_[key].writes;
  auto maybe = std::find_if(writes.begin(), writes.end(),
                            [&](const Write& w) { return !w.known && w.value == value; });
  if (maybe != writes.end()) writes.erase(maybe);
  Applied(key, rank, value, writer);
}

void History::NotRun(const KeyRef& key, const std::optional<std::string>& value) {
  std::vector<Write>& writes = keys_[key].writes;
  auto maybe = std::find_if(writes.begin(), writes.end(),
                            [&](const Write& w) { return !w.known && w.value == value; });
  if (maybe != writes.end()) writes.erase(maybe);
}

void History::Acked(const KeyRef& key, Rank rank, uint8_t holders) {
  KeyState& k = keys_[key];
  if (k.acked && rank < k.acked->rank) return;  // a later write was acknowledged first
  auto write = std::find_if(k.writes.begin(), k.writes.end(),
                            [&](const Write& w) { return w.known && w.rank == rank; });
  if (write == k.writes.end()) return;  // cannot happen: Acked follows Applied
  k.acked = *write;
  k.holders = holders;
}

void History::NodeLost(int slot) {
  for (auto& [key, k] : keys_) k.holders &= static_cast<uint8_t>(~(1u << slot));
}

void History::BulkBegin(int receiver, int sender) {
  for (auto& [key, k] : keys_) {
    if ((k.holders & (1u << sender)) == 0) k.holders &= static_cast<uint8_t>(~(1u << receiver));
  }
}

void History::BulkEnd(int receiver, int sender) {
  for (auto& [key, k] : keys_) {
    if ((k.holders & (1u << sender)) != 0) {
      k.holders |= static_cast<uint8_t>(1u << receiver);
    } else {
      k.holders &= static_cast<uint8_t>(~(1u << receiver));
    }
  }
}

void History::Reconciled(int receiver, int sender) {
  for (auto& [key, k] : keys_) {
    if ((k.holders & (1u << sender)) != 0) k.holders |= static_cast<uint8_t>(1u << receiver);
  }
}

namespace {

// The address pools' tables are the pool clients' to check (pool_clients.h); no_lost_write
// leaves them alone.
bool IsPoolTable(std::string_view name) { return name.starts_with("pool/"); }

std::optional<std::string> Held(const store::Store& store, const KeyRef& key) {
  if (const store::Table* table = store.Find(key.table)) {
    if (auto r = table->Get(key.key)) return std::string(r->value);
  }
  return std::nullopt;
}

std::string Show(const std::optional<std::string>& value) {
  return ShowValue(value ? &*value : nullptr);
}

// A write as it appears in messages: "the delete" or "the write 'v12.abc' (40 B)".
std::string ShowWrite(const std::optional<std::string>& value) {
  return value ? "the write " + ShowValue(&*value) : "the delete";
}

}  // namespace

bool History::Supersedes(const Write& w, const Write& s) {
  return w.rank >= s.rank || (!s.value && w.writer.started > s.writer.at);
}

bool History::Follows(const std::vector<Write>& writes, const Write& w, const Write& s) {
  if (Supersedes(w, s)) return true;
  return std::any_of(writes.begin(), writes.end(), [&](const Write& d) {
    return d.known && !d.value && Supersedes(d, s) && Supersedes(w, d);
  });
}

bool History::Allowed(const KeyState& k, const std::optional<std::string>& value) {
  return std::any_of(k.writes.begin(), k.writes.end(), [&](const Write& w) {
    return w.value == value && (!w.known || Follows(k.writes, w, *k.acked));
  });
}

std::string History::Check(int slot, const store::Store& store) const {
  for (const auto& [key, k] : keys_) {
    if (!k.acked || (k.holders & (1u << slot)) == 0) continue;
    const std::optional<std::string> held = Held(store, key);
    if (Allowed(k, held)) continue;
    return fmt::format(
        "{} holds {}/{} = {}, but {} was acknowledged as replicated (rank {}), and no write that "
        "supersedes it set that",
        NodeName(slot), key.table, key.key, Show(held), ShowWrite(k.acked->value),
        ShowRank(k.acked->rank));
  }
  return {};
}

std::string History::Discards(int receiver, int sender, const store::Store& sender_store) const {
  for (const auto& [key, k] : keys_) {
    if (!k.acked || (k.holders & (1u << receiver)) == 0 || (k.holders & (1u << sender))) {
      continue;
    }
    const std::optional<std::string> held = Held(sender_store, key);
    if (Allowed(k, held)) continue;
    return fmt::format(
        "{} holds {}/{} as acknowledged (rank {}), but {} bulk-syncs it with {} = {}",
        NodeName(receiver), key.table, key.key, ShowRank(k.acked->rank), NodeName(sender), key.key,
        Show(held));
  }
  return {};
}

std::string History::Lost(const store::Store& store, std::string_view who,
                          const std::array<uint64_t, 2>& lives) const {
  size_t held = 0;  // records of the keys the clients wrote
  for (const auto& [key, k] : keys_) {
    std::string lost = LostKey(key, &k, store, who, lives, &held);
    if (!lost.empty()) return lost;
  }
  for (size_t i = 0; i < store.table_count(); ++i) {
    if (IsPoolTable(store.table_at(i).name())) held += store.table_at(i).size();
  }
  // Records of keys no client ever wrote: none if every record is one of the keys above.
  if (held == store.records()) return {};
  for (size_t i = 0; i < store.table_count(); ++i) {
    const store::Table& table = store.table_at(i);
    if (IsPoolTable(table.name())) continue;
    std::string lost;
    table.ForEach([&](const store::RecordView& r) {
      if (!lost.empty()) return;
      KeyRef key{table.name(), std::string(r.key)};
      if (!keys_.contains(key)) lost = LostKey(key, nullptr, store, who, lives, nullptr);
    });
    if (!lost.empty()) return lost;
  }
  return {};
}

std::string History::LostKey(const KeyRef& key, const KeyState* k, const store::Store& store,
                             std::string_view who, const std::array<uint64_t, 2>& lives,
                             size_t* held_count) const {
  static const std::vector<Write> kNone;
  const std::vector<Write>& writes = k != nullptr ? k->writes : kNone;
  auto safe = [&](const Write& w) {
    return w.known && lives[w.writer.slot] == w.writer.incarnation;
  };
  const store::Table* table = store.Find(key.table);
  const std::optional<store::RecordView> held =
      table != nullptr ? table->Get(key.key) : std::nullopt;
  if (held) {
    if (held_count != nullptr) ++*held_count;
    const Rank rank{held->stamp, held->origin};
    const std::string value(held->value);
    auto made = std::find_if(writes.begin(), writes.end(), [&](const Write& w) {
      return w.value == value && (!w.known || w.rank == rank);
    });
    if (made == writes.end()) {
      return fmt::format("{} holds {}/{} = {} of rank {}, which no client write of that rank set",
                         who, key.table, key.key, ShowValue(&value), ShowRank(rank));
    }
    if (!made->known) return {};  // a maybe write: its rank cannot be checked
    for (const Write& s : writes) {
      if (!safe(s) || Follows(writes, *made, s)) continue;
      return fmt::format(
          "{} holds {}/{} = {} of rank {}, below {} of rank {} that {} applied (and has not "
          "crashed since)",
          who, key.table, key.key, ShowValue(&value), ShowRank(rank), ShowWrite(s.value),
          ShowRank(s.rank), NodeName(s.writer.slot));
    }
    return {};
  }
  for (const Write& s : writes) {
    if (!safe(s) || !s.value) continue;
    const bool deleted = std::any_of(writes.begin(), writes.end(), [&](const Write& w) {
      return !w.value && (!w.known || w.rank >= s.rank);
    });
    if (deleted) continue;
    return fmt::format(
        "{} has no {}/{}, but {} applied {} at rank {} (and has not crashed since) and no "
        "delete ranked above it was made",
        who, key.table, key.key, NodeName(s.writer.slot), Show(s.value), ShowRank(s.rank));
  }
  return {};
}

}  // namespace hasync::sim
