// Endpoint: "host:port" as operators write it in configs and flags, parsed into an address.
// Shared by the nodes (net/, daemon/) and the consumer library, which does not link net/.
//
// Only numeric addresses are accepted ("10.0.0.1:7400", "[fd00::1]:7400", "0.0.0.0:0"): a pair
// of HA nodes must not depend on DNS to find each other during the failure it exists for.
// Port 0 is allowed for listening (tests bind ephemeral ports); a peer needs a real port.
#pragma once

#include <string>
#include <string_view>

#include "asio/ip/tcp.hpp"
#include "hasync/status.h"

namespace hasync {

Result<asio::ip::tcp::endpoint> ParseEndpoint(std::string_view text);

// "10.0.0.1:7400" / "[fd00::1]:7400", the inverse of ParseEndpoint.
std::string FormatEndpoint(const asio::ip::tcp::endpoint& endpoint);

}  // namespace hasync
