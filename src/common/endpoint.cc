#include "common/endpoint.h"

#include <charconv>

#include "fmt/format.h"

namespace hasync {

Result<asio::ip::tcp::endpoint> ParseEndpoint(std::string_view text) {
  size_t colon = text.rfind(':');
  if (colon == std::string_view::npos) {
    return InvalidArgument(fmt::format("'{}' is not host:port", text));
  }
  std::string_view host = text.substr(0, colon);
  std::string_view port_text = text.substr(colon + 1);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  } else if (host.find(':') != std::string_view::npos) {
    return InvalidArgument(fmt::format("'{}': write an IPv6 address as [addr]:port", text));
  }
  unsigned port = 0;
  auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (ec != std::errc() || end != port_text.data() + port_text.size() || port > 65535) {
    return InvalidArgument(fmt::format("'{}': port must be a number from 0 to 65535", text));
  }
  asio::error_code error;
  asio::ip::address address = asio::ip::make_address(std::string(host), error);
  if (error) {
    return InvalidArgument(
        fmt::format("'{}': '{}' is not a numeric IP address (names are not resolved)", text, host));
  }
  return asio::ip::tcp::endpoint(address, static_cast<uint16_t>(port));
}

std::string FormatEndpoint(const asio::ip::tcp::endpoint& endpoint) {
  if (endpoint.address().is_v6()) {
    return fmt::format("[{}]:{}", endpoint.address().to_string(), endpoint.port());
  }
  return fmt::format("{}:{}", endpoint.address().to_string(), endpoint.port());
}

}  // namespace hasync
