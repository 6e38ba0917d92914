// Helpers for the TCP_REPAIR tests: a private network namespace (so a test's drop rules and
// ports touch nothing else), loopback connections, and blocking-with-deadline reads and writes.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "common/unique_fd.h"
#include "tcp/snapshot.h"

namespace hasync::tcp::testing {

// Moves the calling process into a new network namespace with loopback up. Returns an empty
// string, or why it could not (then the caller skips: it lacks CAP_NET_ADMIN / CAP_SYS_ADMIN).
std::string EnterPrivateNetns();

// Runs `nft -f -` with `rules` in the current namespace; true on success.
bool Nft(const std::string& rules);

// A client connected to a server over loopback; the listener stays open (as a real server's
// would, beside a restored connection on its port).
struct Pair {
  UniqueFd listener;
  UniqueFd client;
  UniqueFd server;
};
Pair ConnectedPair(Endpoint::Family family);

// A listening socket on the loopback address of `family` (port chosen by the kernel).
UniqueFd Listen(Endpoint::Family family);
// Connects to `listener`'s address; `client_rcvbuf` > 0 sets the client's SO_RCVBUF first.
UniqueFd ConnectTo(int listener, int client_rcvbuf = 0);
UniqueFd AcceptOne(int listener);
uint16_t PortOf(int fd);

void SetNonBlocking(int fd);
// Writes bytes of Pattern(offset...) until the socket's buffers are full; returns how many.
size_t WriteUntilFull(int fd, uint64_t offset);
// The byte at `offset` of the endless test stream (not periodic in any power of two).
char PatternByte(uint64_t offset);
std::string Pattern(uint64_t offset, size_t n);

// Reads exactly n bytes within `timeout_ms`; returns fewer on timeout, EOF or error.
std::string ReadExactly(int fd, size_t n, int timeout_ms = 10000);
bool WriteAll(int fd, std::string_view bytes, int timeout_ms = 10000);
// True if no byte is readable within `ms` and the socket has no pending error.
bool QuietFor(int fd, int ms);
int SocketError(int fd);

}  // namespace hasync::tcp::testing
