// Conversions between tcp::Endpoint and the kernel's socket addresses.
#pragma once

#include <netinet/in.h>
#include <sys/socket.h>

#include "hasync/status.h"
#include "tcp/snapshot.h"

namespace hasync::tcp {

struct SockAddr {
  sockaddr_storage storage{};
  socklen_t length = 0;

  const sockaddr* get() const { return reinterpret_cast<const sockaddr*>(&storage); }
};

SockAddr ToSockAddr(const Endpoint& endpoint);
// kInvalidArgument for a family other than AF_INET and AF_INET6.
Result<Endpoint> FromSockAddr(const sockaddr_storage& storage);
int AddressFamily(Endpoint::Family family);  // AF_INET or AF_INET6

// The socket's own address (getsockname) or its peer's (getpeername).
Result<Endpoint> LocalEndpoint(int fd);
Result<Endpoint> RemoteEndpoint(int fd);

}  // namespace hasync::tcp
