#include "consumer/endpoint.h"

#include <fmt/format.h>

namespace hasync::consumer {

Result<asio::ip::tcp::endpoint> ParseEndpoint(std::string_view text) {
  Result<asio::ip::tcp::endpoint> endpoint = hasync::ParseEndpoint(text);
  if (endpoint.ok() && endpoint->port() == 0) {
    return InvalidArgument(fmt::format("'{}': port must be a number from 1 to 65535", text));
  }
  return endpoint;
}

}  // namespace hasync::consumer
