#include "store/slot_array.h"

#include <sys/mman.h>

#include <algorithm>
#include <cassert>
#include <cstdlib>
#include <new>
#include <utility>

namespace hasync::store {

RetiredSlots& RetiredSlots::operator=(RetiredSlots&& other) noexcept {
  if (this != &other) {
    if (!empty()) munmap(begin_, end_ - begin_);
    begin_ = std::exchange(other.begin_, nullptr);
    end_ = std::exchange(other.end_, nullptr);
  }
  return *this;
}

RetiredSlots::~RetiredSlots() {
  if (!empty()) munmap(begin_, end_ - begin_);
}

void RetiredSlots::ReleaseSome() {
  size_t bytes = std::min<size_t>(kReleaseBytes, end_ - begin_);
  munmap(begin_, bytes);
  begin_ += bytes;
}

void SlotArray::FreeGroups::operator()(Group* groups) const {
  if (mapped_bytes != 0) {
    munmap(groups, mapped_bytes);
  } else {
    std::free(groups);
  }
}

SlotArray::SlotArray(size_t capacity) : capacity_(capacity) {
  assert(capacity >= kGroupSlots && (capacity & (capacity - 1)) == 0);
  // Both ways create the groups (an implicit-lifetime type) with every distance 0 and every
  // pointer null.
  if (capacity >= kMapSlots) {
    void* groups =
        mmap(nullptr, bytes(), PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (groups == MAP_FAILED) throw std::bad_alloc();
    groups_ = {static_cast<Group*>(groups), FreeGroups{bytes()}};
  } else {
    void* groups = std::calloc(capacity / kGroupSlots, sizeof(Group));
    if (groups == nullptr) throw std::bad_alloc();
    groups_.reset(static_cast<Group*>(groups));
  }
}

RetiredSlots SlotArray::Retire() {
  RetiredSlots retired;
  if (groups_.get_deleter().mapped_bytes != 0) {
    auto* begin = reinterpret_cast<char*>(groups_.release());
    retired = RetiredSlots(begin, begin + bytes());
    groups_.get_deleter() = {};
  }
  groups_.reset();
  capacity_ = 0;
  return retired;
}

Record* SlotArray::Place(Record* r, uint64_t hash, unsigned max_distance) {
  size_t mask = capacity_ - 1;
  size_t i = hash & mask;
  for (unsigned d = 1;; ++d, i = (i + 1) & mask) {
    unsigned here = distance(i);
    if (here == 0) {
      distance(i) = static_cast<uint8_t>(d);
      record(i) = r;
      return nullptr;
    }
    if (here < d) {
      std::swap(record(i), r);
      distance(i) = static_cast<uint8_t>(d);
      d = here;
    }
    if (d == max_distance) return r;
  }
}

void SlotArray::ShiftOut(size_t i) {
  size_t mask = capacity_ - 1;
  // Backward shift: pull each following record that is away from its home one slot closer.
  for (size_t next = (i + 1) & mask; distance(next) > 1; i = next, next = (next + 1) & mask) {
    record(i) = record(next);
    distance(i) = static_cast<uint8_t>(distance(next) - 1);
  }
  record(i) = nullptr;
  distance(i) = 0;
}

}  // namespace hasync::store
