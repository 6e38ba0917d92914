#include "sim/history.h"

#include <algorithm>

#include "fmt/format.h"
#include "sim/snapshot.h"
#include "sim/trace.h"

namespace hasync::sim {

void History::Applied(const KeyRef& key, uint64_t serial, std::optional<std::string> value) {
  keys_[key].writes.push_back(Write{serial, std::move(value)});
}

void History::Acked(const KeyRef& key, uint64_t serial, uint8_t holders) {
  KeyState& k = keys_[key];
  if (serial < k.acked) return;  // a later write to the key was acknowledged first
  k.acked = serial;
  k.holders = holders;
  std::erase_if(k.writes, [serial](const Write& w) { return w.serial < serial; });
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

namespace {

std::optional<std::string> Held(const store::Store& store, const KeyRef& key) {
  if (const store::Table* table = store.Find(key.table)) {
    if (auto r = table->Get(key.key)) return std::string(r->value);
  }
  return std::nullopt;
}

std::string Show(const std::optional<std::string>& value) {
  return ShowValue(value ? &*value : nullptr);
}

}  // namespace

bool History::Allowed(const KeyState& k, const std::optional<std::string>& value) {
  return std::any_of(k.writes.begin(), k.writes.end(),
                     [&](const Write& w) { return w.value == value; });
}

std::string History::Check(int slot, const store::Store& store) const {
  for (const auto& [key, k] : keys_) {
    if (k.acked == 0 || (k.holders & (1u << slot)) == 0) continue;
    const std::optional<std::string> held = Held(store, key);
    if (Allowed(k, held)) continue;
    const size_t later = k.writes.size() - 1;
    return fmt::format(
        "{} holds {}/{} = {}, but the write acknowledged as replicated (serial {}) set {}{}",
        NodeName(slot), key.table, key.key, Show(held), k.writes.front().serial,
        Show(k.writes.front().value),
        later == 0 ? "" : fmt::format(", and none of the {} later writes set that", later));
  }
  return {};
}

std::string History::Discards(int receiver, int sender, const store::Store& sender_store) const {
  for (const auto& [key, k] : keys_) {
    if (k.acked == 0 || (k.holders & (1u << receiver)) == 0 || (k.holders & (1u << sender))) {
      continue;
    }
    const std::optional<std::string> held = Held(sender_store, key);
    if (Allowed(k, held)) continue;
    return fmt::format(
        "{} holds {}/{} as acknowledged (serial {}, {}), but {} bulk-syncs it with {} = {}",
        NodeName(receiver), key.table, key.key, k.writes.front().serial,
        Show(k.writes.front().value), NodeName(sender), key.key, Show(held));
  }
  return {};
}

}  // namespace hasync::sim
