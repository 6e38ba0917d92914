#include "tcp/sockaddr.h"

#include <cstring>

#include "tcp/sockopt.h"

namespace hasync::tcp {

int AddressFamily(Endpoint::Family family) {
  return family == Endpoint::Family::kIpv6 ? AF_INET6 : AF_INET;
}

SockAddr ToSockAddr(const Endpoint& e) {
  SockAddr out;
  if (e.family == Endpoint::Family::kIpv6) {
    auto* sin6 = reinterpret_cast<sockaddr_in6*>(&out.storage);
    sin6->sin6_family = AF_INET6;
    sin6->sin6_port = htons(e.port);
    std::memcpy(&sin6->sin6_addr, e.addr.data(), 16);
    out.length = sizeof(sockaddr_in6);
  } else {
    auto* sin = reinterpret_cast<sockaddr_in*>(&out.storage);
    sin->sin_family = AF_INET;
    sin->sin_port = htons(e.port);
    std::memcpy(&sin->sin_addr, e.addr.data(), 4);
    out.length = sizeof(sockaddr_in);
  }
  return out;
}

Result<Endpoint> FromSockAddr(const sockaddr_storage& storage) {
  Endpoint e;
  if (storage.ss_family == AF_INET6) {
    const auto* sin6 = reinterpret_cast<const sockaddr_in6*>(&storage);
    e.family = Endpoint::Family::kIpv6;
    e.port = ntohs(sin6->sin6_port);
    std::memcpy(e.addr.data(), &sin6->sin6_addr, 16);
  } else if (storage.ss_family == AF_INET) {
    const auto* sin = reinterpret_cast<const sockaddr_in*>(&storage);
    e.family = Endpoint::Family::kIpv4;
    e.port = ntohs(sin->sin_port);
    std::memcpy(e.addr.data(), &sin->sin_addr, 4);
  } else {
    return InvalidArgument("not an IPv4 or IPv6 socket");
  }
  return e;
}

namespace {

using NameFn = int (*)(int, sockaddr*, socklen_t*);

Result<Endpoint> EndpointOf(int fd, NameFn fn, const char* what) {
  sockaddr_storage storage{};
  socklen_t length = sizeof(storage);
  if (fn(fd, reinterpret_cast<sockaddr*>(&storage), &length) != 0) return ErrnoStatus(what);
  return FromSockAddr(storage);
}

}  // namespace

Result<Endpoint> LocalEndpoint(int fd) { return EndpointOf(fd, ::getsockname, "getsockname"); }
Result<Endpoint> RemoteEndpoint(int fd) { return EndpointOf(fd, ::getpeername, "getpeername"); }

}  // namespace hasync::tcp
