// Restore and Thaw (tcp/repair.h). The order of the steps is the kernel's: sequence numbers
// while the socket is still closed, connect (which in repair mode jumps to ESTABLISHED without a
// handshake), options once established, then the queues, then the windows (checked against the
// restored rcv_nxt).
//
// Bytes the old socket had transmitted go back as transmitted, so that the new socket's snd_nxt
// is the old one: the peer may have received (and will acknowledge) any of them, and Linux
// discards an acknowledgement beyond snd_nxt together with the window it carries. Sent anew
// instead, a peer that acknowledged more than the new socket had resent when its window closed
// would stall the connection for good (seen in the tests). The price: a byte lost in flight is
// sent again by the loss probe or the retransmission timer, which a socket without an RTT sample
// sets at 1 s and 3 s; sooner if new data follows it and the peer's SACKs report the hole.
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <algorithm>
#include <chrono>
#include <string_view>
#include <vector>

#include "tcp/repair.h"
#include "tcp/sockaddr.h"
#include "tcp/sockopt.h"

namespace hasync::tcp {
namespace {

// TCP_MAXSEG accepts at most this (MAX_TCP_WINDOW); larger MSS (loopback's 65483) is clamped,
// which costs nothing on real links (1460 and below).
constexpr int kMaxUserMss = 32767;
// tcp_bound_to_half_wnd's constants: below 536 bytes of peer window the whole window bounds the
// MSS, never below 88 (TCP_MIN_MSS, also TCP_MAXSEG's floor).
constexpr uint32_t kDefaultMss = 536;
constexpr int kMinMss = 88;
// Queues up to this size fit the default socket buffers; larger ones get buffers forced to fit
// (SO_*BUFFORCE, which CAP_NET_ADMIN allows and TCP_REPAIR already needs).
constexpr size_t kDefaultBufferFits = 64u << 10;

Status SelectQueue(int fd, int queue) {
  return SetOption(fd, IPPROTO_TCP, TCP_REPAIR_QUEUE, queue, "TCP_REPAIR_QUEUE");
}

Status SetQueueSeq(int fd, int queue, uint32_t seq) {
  if (Status st = SelectQueue(fd, queue); !st.ok()) return st;
  return SetOption(fd, IPPROTO_TCP, TCP_QUEUE_SEQ, seq, "TCP_QUEUE_SEQ");
}

// send() until every byte is in; a non-blocking socket whose buffer is too small fails here
// rather than leaving bytes behind.
Status SendAll(int fd, std::string_view bytes, const char* what) {
  while (!bytes.empty()) {
    ssize_t n = ::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return ErrnoStatus(what, n == 0 ? EIO : errno);
    bytes.remove_prefix(static_cast<size_t>(n));
  }
  return Status::Ok();
}

Status SizeBuffers(int fd, const TcpSnapshot& s) {
  // The kernel doubles the value for its own bookkeeping; twice the queue again leaves room
  // for the per-segment overhead it counts against the buffer.
  if (s.recv_queue.size() > kDefaultBufferFits) {
    int size = static_cast<int>(2 * s.recv_queue.size());
    if (Status st = SetOption(fd, SOL_SOCKET, SO_RCVBUFFORCE, size, "SO_RCVBUFFORCE"); !st.ok()) {
      return st;
    }
  }
  if (s.send_queue.size() > kDefaultBufferFits) {
    int size = static_cast<int>(2 * s.send_queue.size());
    if (Status st = SetOption(fd, SOL_SOCKET, SO_SNDBUFFORCE, size, "SO_SNDBUFFORCE"); !st.ok()) {
      return st;
    }
  }
  return Status::Ok();
}

// The bound for TCP_MAXSEG, set before connect: the kernel computes a socket's segment size
// (mss_cache) when it connects, and a repaired socket connects before its options and windows
// are set. Without the bound it starts at the 536-byte default (TCP_REPAIR_OPTIONS sets the
// clamp but not the size); and without the half-window bound a normal socket applies
// (tcp_bound_to_half_wnd), a peer whose window is below the MSS would get nothing but
// persist-timer probes.
int SegmentSizeBound(const TcpSnapshot& s) {
  int mss = std::min<int>(s.mss, kMaxUserMss);
  uint32_t window = s.window.max_window;
  if (window > kDefaultMss) window /= 2;
  if (window > 0)
    mss = std::min<int>(mss, static_cast<int>(std::min<uint32_t>(window, kMaxUserMss)));
  return std::max(mss, kMinMss);
}

Status BindAndConnect(int fd, const TcpSnapshot& s) {
  if (Status st = SizeBuffers(fd, s); !st.ok()) return st;
  SockAddr local = ToSockAddr(s.local);
  if (::bind(fd, local.get(), local.length) != 0) return ErrnoStatus("bind");
  uint32_t recv_start = s.recv_seq - static_cast<uint32_t>(s.recv_queue.size());
  uint32_t send_start = s.send_seq - static_cast<uint32_t>(s.send_queue.size());
  if (Status st = SetQueueSeq(fd, TCP_RECV_QUEUE, recv_start); !st.ok()) return st;
  if (Status st = SetQueueSeq(fd, TCP_SEND_QUEUE, send_start); !st.ok()) return st;
  int mss = SegmentSizeBound(s);
  if (Status st = SetOption(fd, IPPROTO_TCP, TCP_MAXSEG, mss, "TCP_MAXSEG"); !st.ok()) return st;
  SockAddr remote = ToSockAddr(s.remote);
  if (::connect(fd, remote.get(), remote.length) != 0) return ErrnoStatus("connect (repair)");
  return Status::Ok();
}

Status SetNegotiatedOptions(int fd, const TcpSnapshot& s) {
  std::vector<tcp_repair_opt> opts;
  opts.push_back({TCPOPT_MAXSEG, s.mss});
  if (s.window_scaling) {
    opts.push_back({TCPOPT_WINDOW, uint32_t{s.send_wscale} | (uint32_t{s.recv_wscale} << 16)});
  }
  if (s.sack) opts.push_back({TCPOPT_SACK_PERMITTED, 0});
  if (s.timestamps) opts.push_back({TCPOPT_TIMESTAMP, 0});
  if (::setsockopt(fd, IPPROTO_TCP, TCP_REPAIR_OPTIONS, opts.data(),
                   static_cast<socklen_t>(opts.size() * sizeof(tcp_repair_opt))) != 0) {
    return ErrnoStatus("TCP_REPAIR_OPTIONS");
  }
  int nodelay = s.nodelay ? 1 : 0;
  return SetOption(fd, IPPROTO_TCP, TCP_NODELAY, nodelay, "TCP_NODELAY");
}

std::chrono::microseconds ElapsedSinceCapture(const TcpSnapshot& s, const RestoreOptions& o) {
  if (o.elapsed) return std::max(*o.elapsed, std::chrono::microseconds{0});
  auto now = std::chrono::duration_cast<std::chrono::microseconds>(
      std::chrono::system_clock::now().time_since_epoch());
  auto captured = std::chrono::microseconds{static_cast<int64_t>(s.captured_at_us)};
  return std::max(now - captured, std::chrono::microseconds{0});
}

// The timestamp clock goes on from where the capture left it, advanced by the time since: a
// value older than the last one the peer saw would have every segment dropped (PAWS). Bit 0
// says the clock counts microseconds (kernels since 6.7); otherwise it counts milliseconds.
Status SetTimestampClock(int fd, const TcpSnapshot& s, std::chrono::microseconds elapsed) {
  bool microseconds = (s.timestamp & 1u) != 0;
  auto ticks = microseconds ? elapsed.count() : elapsed.count() / 1000;
  auto clock = static_cast<uint32_t>(s.timestamp + static_cast<uint32_t>(ticks));
  clock = microseconds ? (clock | 1u) : (clock & ~1u);
  return SetOption(fd, IPPROTO_TCP, TCP_TIMESTAMP, clock, "TCP_TIMESTAMP");
}

Status RestoreFrozen(int fd, const TcpSnapshot& s, const RestoreOptions& options) {
  if (Status st = BindAndConnect(fd, s); !st.ok()) return st;
  if (Status st = SetNegotiatedOptions(fd, s); !st.ok()) return st;
  if (s.timestamps) {
    if (Status st = SetTimestampClock(fd, s, ElapsedSinceCapture(s, options)); !st.ok()) {
      return st;
    }
  }
  if (Status st = SelectQueue(fd, TCP_RECV_QUEUE); !st.ok()) return st;
  if (Status st = SendAll(fd, s.recv_queue, "injecting the receive queue"); !st.ok()) return st;
  // In repair mode, bytes written to the send queue count as transmitted, and go nowhere.
  std::string_view sent(s.send_queue.data(), s.send_queue.size() - s.unsent_bytes);
  if (Status st = SelectQueue(fd, TCP_SEND_QUEUE); !st.ok()) return st;
  if (Status st = SendAll(fd, sent, "injecting the sent bytes"); !st.ok()) return st;
  if (Status st = SelectQueue(fd, TCP_NO_QUEUE); !st.ok()) return st;
  tcp_repair_window w{.snd_wl1 = s.window.snd_wl1,
                      .snd_wnd = s.window.snd_wnd,
                      .max_window = s.window.max_window,
                      .rcv_wnd = s.window.rcv_wnd,
                      .rcv_wup = s.window.rcv_wup};
  return SetOption(fd, IPPROTO_TCP, TCP_REPAIR_WINDOW, w, "TCP_REPAIR_WINDOW");
}

}  // namespace

Result<UniqueFd> Restore(const TcpSnapshot& s, const RestoreOptions& options) {
  if (s.local.family != s.remote.family) {
    return InvalidArgument("TCP snapshot mixes IPv4 and IPv6 endpoints");
  }
  UniqueFd fd(::socket(AddressFamily(s.local.family), SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
                       IPPROTO_TCP));
  if (!fd.valid()) return ErrnoStatus("socket");
  if (Status st = SetOption(fd.get(), IPPROTO_TCP, TCP_REPAIR, int{TCP_REPAIR_ON}, "TCP_REPAIR on");
      !st.ok()) {
    return st;
  }
  if (Status st = RestoreFrozen(fd.get(), s, options); !st.ok()) return st;
  if (!options.keep_frozen) {
    if (Status st = Thaw(fd.get(), s); !st.ok()) return st;
  }
  return fd;
}

Status Thaw(int fd, const TcpSnapshot& s) {
  // With a window probe: the peer answers with its current window and acknowledgement, which
  // tells the restored socket at once where the peer stands.
  if (Status st = SetOption(fd, IPPROTO_TCP, TCP_REPAIR, int{TCP_REPAIR_OFF}, "TCP_REPAIR off");
      !st.ok()) {
    return st;
  }
  std::string_view unsent(s.send_queue);
  unsent.remove_prefix(s.send_queue.size() - s.unsent_bytes);
  return SendAll(fd, unsent, "queueing the unsent bytes");
}

}  // namespace hasync::tcp
