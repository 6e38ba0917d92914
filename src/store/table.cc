#include "store/table.h"

#include <algorithm>
#include <utility>

#include "fmt/format.h"
#include "store/key_index.h"
#include "store/record.h"
#include "store/table_test_peer.h"
#include "store/version_list.h"

namespace hasync::store {
struct Table::Impl {
  Impl(std::string table_name, const Limits& limits)
      : name(std::move(table_name)),
        max_key_bytes(std::min(limits.max_key_bytes, kKeyBytesHardCap)),
        max_value_bytes(std::min(limits.max_value_bytes, kValueBytesHardCap)) {}
  ~Impl() { Clear(); }

  bool ValidKey(std::string_view key) const { return !key.empty() && key.size() <= max_key_bytes; }

  // The live-set accounting (size, bytes, digest) of one record entering or leaving it.
  void CountLive(const Record& r) {
    ++live;
    key_value_bytes += r.key_len() + r.value_len;
    digest += ContentDigest(r);
    if (observed) Tell([&](TableObserver& o) { o.OnLive(r.key(), r.value()); });
  }
  void UncountLive(const Record& r) {
    --live;
    key_value_bytes -= r.key_len() + r.value_len;
    digest -= ContentDigest(r);
    if (observed) Tell([&](TableObserver& o) { o.OnGone(r.key()); });
  }
  template <typename Fn>
  void Tell(Fn fn) {
    if (std::shared_ptr<TableObserver> o = observer.lock()) fn(*o);
  }

  // Gives the record in `slot` the value `value` (a tombstone gets ""), stamps it and moves it to
  // the newest end. Keeps the block if the value fits it; otherwise replaces the block, in the
  // index too. Returns the record's block.
  Record* Rewrite(Record** slot, std::string_view value, uint64_t rvn, uint64_t stamp,
                  NodeIdWire origin) {
    Record* r = *slot;
    // Moving to the newest end writes both neighbours: start loading them while the value is
    // copied and hashed, rather than miss the cache twice afterwards.
    __builtin_prefetch(r->prev, 1);
    __builtin_prefetch(r->next, 1);
    if (FitsBlock(*r, value.size())) {
      SetValue(r, value);
      versions.MoveToNewest(r);
    } else {
      Record* fresh = CopyRecord(*r, value);
      versions.Unlink(r);
      versions.PushNewest(fresh);
      *slot = fresh;
      FreeRecord(r);
      r = fresh;
    }
    r->rvn = rvn;
    r->stamp = stamp;
    r->origin = origin;
    return r;
  }

  // Inserts a record for a key the table does not hold, at the newest end.
  Record* Add(std::string_view key, std::string_view value, uint64_t rvn, uint64_t stamp,
              NodeIdWire origin) {
    Record* r = NewRecord(key, value);
    r->rvn = rvn;
    r->stamp = stamp;
    r->origin = origin;
    index.Insert(r);
    versions.PushNewest(r);
    return r;
  }

  // Removes `r` from the table entirely and frees it.
  void Destroy(Record* r) {
    if (r->tombstone) {
      --tombstones;
    } else {
      UncountLive(*r);
    }
    index.Erase(r);
    versions.Unlink(r);
    FreeRecord(r);
  }

  void Clear() {
    for (Record* r = versions.oldest(); r != nullptr;) {
      Record* next = r->next;
      FreeRecord(r);
      r = next;
    }
    versions.Reset();
    index.Clear();
    live = tombstones = key_value_bytes = 0;
    digest = 0;
    if (observed) Tell([](TableObserver& o) { o.OnCleared(); });
  }

  const std::string name;
  const uint32_t max_key_bytes;
  const uint32_t max_value_bytes;
  KeyIndex index;
  VersionList versions;
  size_t live = 0;
  size_t tombstones = 0;
  size_t key_value_bytes = 0;
  uint64_t digest = 0;
  // Only observed tables pay for the weak pointer's lock.
  std::weak_ptr<TableObserver> observer;
  bool observed = false;
};

Table::Table(std::string name, const Limits& limits)
    : impl_(std::make_unique<Impl>(std::move(name), limits)) {}

Table::~Table() = default;

const std::string& Table::name() const { return impl_->name; }

Status Table::Upsert(std::string_view key, std::string_view value, uint64_t rvn, uint64_t stamp,
                     NodeIdWire origin) {
  Impl& t = *impl_;
  if (key.empty()) return InvalidArgument("key is empty");
  if (key.size() > t.max_key_bytes) {
    return TooLarge(fmt::format("key is {} bytes; limit is {}", key.size(), t.max_key_bytes));
  }
  if (value.size() > t.max_value_bytes) {
    return TooLarge(fmt::format("value is {} bytes; limit is {}", value.size(), t.max_value_bytes));
  }
  Record* r;
  if (Record** slot = t.index.FindSlot(key)) {
    if ((*slot)->tombstone) {
      --t.tombstones;
      (*slot)->tombstone = 0;
    } else {
      t.UncountLive(**slot);
    }
    r = t.Rewrite(slot, value, rvn, stamp, origin);
  } else {
    r = t.Add(key, value, rvn, stamp, origin);
  }
  t.CountLive(*r);
  return Status::Ok();
}

bool Table::Erase(std::string_view key, uint64_t rvn, uint64_t stamp, NodeIdWire origin) {
  Impl& t = *impl_;
  if (!t.ValidKey(key)) return false;
  Record** slot = t.index.FindSlot(key);
  if (slot == nullptr) {
    t.Add(key, {}, rvn, stamp, origin)->tombstone = 1;
    ++t.tombstones;
    return false;
  }
  bool was_live = !(*slot)->tombstone;
  if (was_live) {
    t.UncountLive(**slot);
    ++t.tombstones;
  }
  t.Rewrite(slot, {}, rvn, stamp, origin)->tombstone = 1;
  return was_live;
}

bool Table::Remove(std::string_view key) {
  Record* r = impl_->index.Find(key);
  if (r == nullptr) return false;
  impl_->Destroy(r);
  return true;
}

bool Table::Purge(std::string_view key, uint64_t rvn, uint64_t stamp) {
  Record* r = impl_->index.Find(key);
  if (r == nullptr || !r->tombstone || r->rvn != rvn || r->stamp != stamp) return false;
  impl_->Destroy(r);
  return true;
}

std::optional<RecordView> Table::Get(std::string_view key) const {
  const Record* r = impl_->index.Find(key);
  if (r == nullptr || r->tombstone) return std::nullopt;
  return ViewOf(*r);
}

std::optional<RecordView> Table::Lookup(std::string_view key) const {
  const Record* r = impl_->index.Find(key);
  if (r == nullptr) return std::nullopt;
  return ViewOf(*r);
}

std::optional<RecordView> Table::RestampOldest(uint64_t below, uint64_t new_rvn) {
  Record* r = impl_->versions.oldest();
  if (r == nullptr || r->rvn >= below) return std::nullopt;
  r->rvn = new_rvn;
  impl_->versions.MoveOldestUnchangedToNewest();
  return ViewOf(*r);
}

size_t Table::EraseOlderThan(uint64_t below) {
  size_t erased = 0;
  for (Record* r = impl_->versions.oldest(); r != nullptr && r->rvn < below;
       r = impl_->versions.oldest()) {
    if (!r->tombstone) ++erased;
    impl_->Destroy(r);
  }
  return erased;
}

bool Table::Restamp(std::string_view key, uint64_t rvn) {
  Record* r = impl_->index.Find(key);
  if (r == nullptr) return false;
  // A walk that had still to visit it will not now: the observer hears of it as of a change
  // (only then: a reconciliation restamps every record it keeps).
  if (!r->tombstone && impl_->observed && impl_->versions.WalkUnderWay()) {
    impl_->Tell([&](TableObserver& o) { o.OnRestamped(r->key()); });
  }
  r->rvn = rvn;
  impl_->versions.MoveToNewest(r);
  return true;
}

size_t Table::DropTombstones() {
  size_t dropped = 0;
  for (Record* r = impl_->versions.oldest(); r != nullptr && impl_->tombstones > 0;) {
    Record* next = r->next;
    if (r->tombstone) {
      impl_->Destroy(r);
      ++dropped;
    }
    r = next;
  }
  return dropped;
}

std::optional<uint64_t> Table::OldestRvn() const {
  const Record* r = impl_->versions.oldest();
  if (r == nullptr) return std::nullopt;
  return r->rvn;
}

void Table::ForEach(const std::function<void(const RecordView&)>& fn) const {
  for (const Record* r = impl_->versions.oldest(); r != nullptr; r = r->next) {
    if (!r->tombstone) fn(ViewOf(*r));
  }
}

std::unique_ptr<TableWalk> Table::Walk() const {
  return std::make_unique<TableWalk>(impl_->versions.OpenWalk(&impl_->index));
}

void Table::Reserve(size_t n) { impl_->index.Reserve(n); }

void Table::SetObserver(std::weak_ptr<TableObserver> observer) {
  impl_->observed = !observer.expired();
  impl_->observer = std::move(observer);
}

bool Table::ObservedBy(const TableObserver* observer) const {
  return impl_->observed && impl_->observer.lock().get() == observer;
}

size_t Table::size() const { return impl_->live; }
size_t Table::tombstones() const { return impl_->tombstones; }
uint64_t Table::digest() const { return impl_->digest; }
size_t Table::key_value_bytes() const { return impl_->key_value_bytes; }

void Table::Clear() { impl_->Clear(); }

KeyIndex& TableTestPeer::Index(Table& table) { return table.impl_->index; }

}  // namespace hasync::store
