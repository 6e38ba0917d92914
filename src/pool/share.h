// Shares: which node of the pair owns each ordinal of a pool, and the ordinals of one share as
// an arithmetic progression (first, first + step, ...), so the allocator walks a share
// without looking at the other one.
//
// odd-even: the lower node id owns the even ordinals; halves: the lower id owns ordinals
// [0, ceil(size / 2)). Both nodes compute the same answer from the same pool and ids.
#pragma once

#include <cstdint>

#include "hasync/pool.h"
#include "hasync/types.h"

namespace hasync::pool {

struct Share {
  uint64_t first = 0;
  uint64_t step = 1;
  uint64_t count = 0;
  uint64_t OrdinalAt(uint64_t index) const { return first + index * step; }
};

class ShareMap {
 public:
  // `self` and `peer`: the two node ids (peer 0: no peer, this node owns everything).
  ShareMap(ShareRule rule, uint64_t size, NodeId self, NodeId peer)
      : rule_(rule), size_(size), self_lower_(peer == 0 || self < peer), alone_(peer == 0) {}

  bool Owns(uint64_t ordinal) const { return alone_ || LowerOwns(ordinal) == self_lower_; }
  Share own() const { return alone_ ? Share{0, 1, size_} : ShareOf(self_lower_); }
  Share peer() const { return alone_ ? Share{0, 1, 0} : ShareOf(!self_lower_); }

 private:
  bool LowerOwns(uint64_t ordinal) const {
    return rule_ == ShareRule::kOddEven ? ordinal % 2 == 0 : ordinal < (size_ + 1) / 2;
  }
  Share ShareOf(bool lower) const {
    const uint64_t lower_count = (size_ + 1) / 2;
    if (rule_ == ShareRule::kOddEven) {
      return lower ? Share{0, 2, lower_count} : Share{1, 2, size_ - lower_count};
    }
    return lower ? Share{0, 1, lower_count} : Share{lower_count, 1, size_ - lower_count};
  }

  ShareRule rule_;
  uint64_t size_;
  bool self_lower_;
  bool alone_;
};

}  // namespace hasync::pool
