// From the public ConsumerPortOptions (hasync/node.h; the daemon's [consumers]) to what the
// consumer port runs with: the listen address, the accept bounds and the publisher's settings.
// The library and hasyncd check them here alike (MakeDriverOptions calls CheckConsumerOptions).
#pragma once

#include <cstdint>

#include "hasync/node.h"
#include "hasync/status.h"
#include "net/consumer_server.h"

namespace hasync::net {

// A channel's pending queue travels whole in one ChannelState frame (32 bytes an entry), which
// must fit the 4 MiB every node accepts.
inline constexpr uint32_t kMaxConsumerPendingOps = 100000;

// Every range, and the listen address when one is set. Errors (kInvalidArgument) name the
// option: "consumers.max_pending_ops: must be 1..100000".
Status CheckConsumerOptions(const ReplicaOptions& options);

// For a node whose options.consumers.listen is set (checked first, as above).
Result<ConsumerServer::Options> MakeConsumerOptions(const ReplicaOptions& options);

}  // namespace hasync::net
