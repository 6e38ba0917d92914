#include "loopback.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>

namespace hasync::tcp::testing {

std::string EnterPrivateNetns() {
  if (::unshare(CLONE_NEWNET) != 0) return std::string("unshare(CLONE_NEWNET): ") + strerror(errno);
  UniqueFd s(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  ifreq ifr{};
  std::strncpy(ifr.ifr_name, "lo", IFNAMSIZ - 1);
  if (::ioctl(s.get(), SIOCGIFFLAGS, &ifr) != 0) return "SIOCGIFFLAGS lo failed";
  ifr.ifr_flags = static_cast<short>(ifr.ifr_flags | IFF_UP);
  if (::ioctl(s.get(), SIOCSIFFLAGS, &ifr) != 0) return "SIOCSIFFLAGS lo up failed";
  return "";
}

bool Nft(const std::string& rules) {
  FILE* p = ::popen("nft -f -", "w");
  if (p == nullptr) return false;
  std::fwrite(rules.data(), 1, rules.size(), p);
  return ::pclose(p) == 0;
}

UniqueFd Listen(Endpoint::Family family) {
  UniqueFd fd(::socket(family == Endpoint::Family::kIpv6 ? AF_INET6 : AF_INET,
                       SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_storage ss{};
  socklen_t len = 0;
  if (family == Endpoint::Family::kIpv6) {
    auto* a = reinterpret_cast<sockaddr_in6*>(&ss);
    a->sin6_family = AF_INET6;
    a->sin6_addr = in6addr_loopback;
    len = sizeof(*a);
  } else {
    auto* a = reinterpret_cast<sockaddr_in*>(&ss);
    a->sin_family = AF_INET;
    a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    len = sizeof(*a);
  }
  if (::bind(fd.get(), reinterpret_cast<sockaddr*>(&ss), len) != 0) return {};
  if (::listen(fd.get(), 16) != 0) return {};
  return fd;
}

UniqueFd ConnectTo(int listener, int client_rcvbuf) {
  sockaddr_storage ss{};
  socklen_t len = sizeof(ss);
  ::getsockname(listener, reinterpret_cast<sockaddr*>(&ss), &len);
  UniqueFd fd(::socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (client_rcvbuf > 0) {
    ::setsockopt(fd.get(), SOL_SOCKET, SO_RCVBUF, &client_rcvbuf, sizeof(client_rcvbuf));
  }
  if (::connect(fd.get(), reinterpret_cast<sockaddr*>(&ss), len) != 0) return {};
  return fd;
}

UniqueFd AcceptOne(int listener) {
  return UniqueFd(::accept4(listener, nullptr, nullptr, SOCK_CLOEXEC));
}

Pair ConnectedPair(Endpoint::Family family) {
  Pair pair;
  pair.listener = Listen(family);
  pair.client = ConnectTo(pair.listener.get());
  pair.server = AcceptOne(pair.listener.get());
  return pair;
}

uint16_t PortOf(int fd) {
  sockaddr_storage ss{};
  socklen_t len = sizeof(ss);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len);
  if (ss.ss_family == AF_INET6) return ntohs(reinterpret_cast<sockaddr_in6*>(&ss)->sin6_port);
  return ntohs(reinterpret_cast<sockaddr_in*>(&ss)->sin_port);
}

void SetNonBlocking(int fd) { ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK); }

char PatternByte(uint64_t offset) { return static_cast<char>((offset * 7 + offset / 251) % 251); }

std::string Pattern(uint64_t offset, size_t n) {
  std::string s(n, '\0');
  for (size_t i = 0; i < n; ++i) s[i] = PatternByte(offset + i);
  return s;
}

size_t WriteUntilFull(int fd, uint64_t offset) {
  size_t total = 0;
  for (;;) {
    std::string chunk = Pattern(offset + total, 16384);
    ssize_t n = ::send(fd, chunk.data(), chunk.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
    if (n <= 0) {
      // The kernel may free room a moment later (loopback delivery); stop only once it stays
      // full.
      pollfd p{fd, POLLOUT, 0};
      if (::poll(&p, 1, 50) > 0 && (p.revents & POLLOUT) != 0) continue;
      return total;
    }
    total += static_cast<size_t>(n);
  }
}

namespace {

bool WaitFor(int fd, short events, std::chrono::steady_clock::time_point deadline) {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
      deadline - std::chrono::steady_clock::now());
  if (left.count() <= 0) return false;
  pollfd p{fd, events, 0};
  return ::poll(&p, 1, static_cast<int>(left.count())) > 0;
}

}  // namespace

std::string ReadExactly(int fd, size_t n, int timeout_ms) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  std::string out;
  std::string buf(65536, '\0');
  while (out.size() < n) {
    if (!WaitFor(fd, POLLIN, deadline)) break;
    ssize_t got = ::recv(fd, buf.data(), std::min(buf.size(), n - out.size()), MSG_DONTWAIT);
    if (got < 0 && errno == EAGAIN) continue;
    if (got <= 0) break;
    out.append(buf.data(), static_cast<size_t>(got));
  }
  return out;
}

bool WriteAll(int fd, std::string_view bytes, int timeout_ms) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (!bytes.empty()) {
    if (!WaitFor(fd, POLLOUT, deadline)) return false;
    ssize_t n = ::send(fd, bytes.data(), bytes.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
    if (n < 0 && errno == EAGAIN) continue;
    if (n <= 0) return false;
    bytes.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

bool QuietFor(int fd, int ms) {
  pollfd p{fd, POLLIN, 0};
  return ::poll(&p, 1, ms) == 0 && SocketError(fd) == 0;
}

int SocketError(int fd) {
  int err = 0;
  socklen_t len = sizeof(err);
  ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
  return err;
}

}  // namespace hasync::tcp::testing
