// Inbound: the receiving half of one channel session: which frames were applied (for the
// cumulative ack) and the progress of a bulk sync this node is receiving.
#pragma once

#include <cstdint>

#include "wire/messages.h"

namespace hasync::core {

struct Inbound {
  uint64_t applied_seq = 0;  // last frame applied
  uint64_t acked_seq = 0;    // last seq this node acknowledged
  bool ack_due = false;      // a frame that wants an ack arrived since the last Ack
  uint64_t last_rvn = 0;     // RVNs on one stream never go down; a peer that breaks this is cut

  bool bulk_receiving = false;
  uint64_t bulk_gvn = 0;
  uint64_t bulk_received = 0;
  uint64_t bulk_total = 0;
  bool synced = false;  // a bulk EOF arrived on this session: this standby holds everything

  void Reset() { *this = Inbound(); }
};

}  // namespace hasync::core
