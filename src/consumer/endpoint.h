// Endpoint: a node's consumer port as "host:port", parsed into an address: the nodes' own rule
// (common/endpoint.h: numeric addresses only, so that a consumer finds the pair during the
// failure it exists for without DNS), and the port must not be 0.
#pragma once

#include <asio/ip/tcp.hpp>
#include <string_view>

#include "common/endpoint.h"
#include "hasync/status.h"

namespace hasync::consumer {

Result<asio::ip::tcp::endpoint> ParseEndpoint(std::string_view text);

}  // namespace hasync::consumer
