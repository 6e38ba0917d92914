// The checks of hasync::ConsumerOptions and their translation into the session's settings and
// the endpoints' addresses, so that Consumer::Create refuses bad options before anything runs.
#pragma once

#include <asio/ip/tcp.hpp>
#include <vector>

#include "consumer/session.h"
#include "hasync/consumer.h"
#include "hasync/status.h"

namespace hasync::consumer {

// kInvalidArgument naming the option: no endpoint, an endpoint that is not numeric host:port,
// an empty or oversized table, an oversized prefix, a name that is not printable ASCII of at
// most 64 bytes, a ping_interval or dead_after that is not positive, a negative
// reconnect_delay.
Result<std::vector<asio::ip::tcp::endpoint>> CheckOptions(const ConsumerOptions& options);

SessionConfig ToSessionConfig(const ConsumerOptions& options);

}  // namespace hasync::consumer
