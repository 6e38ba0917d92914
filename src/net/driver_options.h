// From the public ReplicaOptions (what embedders and the daemon's config file speak) to what the
// driver needs: a core::CoreConfig and the peer link's addresses. One place checks them all, so
// the library and hasyncd accept exactly the same settings.
#pragma once

#include "hasync/node.h"
#include "hasync/status.h"
#include "net/node_driver.h"

namespace hasync::net {

// Errors (kInvalidArgument) name the offending option, e.g. "listen: '1.2.3:80' is not ...".
Result<NodeDriver::Options> MakeDriverOptions(const ReplicaOptions& options);

// The peer id used to decide who dials: the configured one, or the other one of 1 and 2.
NodeId EffectivePeerId(const ReplicaOptions& options);

// The peer id the address pools share with: EffectivePeerId, or 0 for a node alone (neither
// `peer` nor `peer_id` set), whose pools are all its own.
NodeId PoolPeerId(const ReplicaOptions& options);

}  // namespace hasync::net
