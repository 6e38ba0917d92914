// Endpoint: a node's consumer port as "host:port", parsed into an address.
//
// Numeric addresses only ("10.0.0.1:7402", "[fd00::1]:7402"), like the nodes' own endpoints
// (net/endpoint.h, which the consumer library does not link): a consumer must find the pair
// during the failure it exists for, without DNS. The port must not be 0.
#pragma once

#include <asio/ip/tcp.hpp>
#include <string>
#include <string_view>

#include "hasync/status.h"

namespace hasync::consumer {

Result<asio::ip::tcp::endpoint> ParseEndpoint(std::string_view text);

// "10.0.0.1:7402" / "[fd00::1]:7402", the inverse of ParseEndpoint.
std::string FormatEndpoint(const asio::ip::tcp::endpoint& endpoint);

}  // namespace hasync::consumer
