// Capture (tcp/repair.h): repair mode on, then the connection's variables and both queues.
#include <linux/sockios.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/ioctl.h>

#include <chrono>

#include "tcp/repair.h"
#include "tcp/sockaddr.h"
#include "tcp/sockopt.h"

namespace hasync::tcp {
namespace {

// Incoming segments are still processed in repair mode, so a queue may move while it is read:
// a read is taken again when the sequence number at its end changed meanwhile.
constexpr int kQueueReadAttempts = 8;

Status SelectQueue(int fd, int queue) {
  return SetOption(fd, IPPROTO_TCP, TCP_REPAIR_QUEUE, queue, "TCP_REPAIR_QUEUE");
}

Status QueueSeq(int fd, uint32_t& seq) {
  return GetOption(fd, IPPROTO_TCP, TCP_QUEUE_SEQ, seq, "TCP_QUEUE_SEQ");
}

Status QueueSize(int fd, unsigned long request, const char* what, uint32_t& size) {
  int n = 0;
  if (::ioctl(fd, request, &n) != 0) return ErrnoStatus(what);
  size = static_cast<uint32_t>(n);
  return Status::Ok();
}

// Copies the selected queue (MSG_PEEK: repair mode reads without consuming) and the sequence
// number at its end; `size_hint` is what the queue held a moment ago.
Status ReadQueue(int fd, int queue, uint32_t size_hint, std::string& bytes, uint32_t& end_seq) {
  if (Status st = SelectQueue(fd, queue); !st.ok()) return st;
  for (int attempt = 0; attempt < kQueueReadAttempts; ++attempt) {
    uint32_t before = 0;
    uint32_t after = 0;
    if (Status st = QueueSeq(fd, before); !st.ok()) return st;
    // Room for what arrived since the hint; a queue never exceeds the socket's buffer, and the
    // seq check below catches a read that came up short.
    bytes.resize(size_hint + (64u << 10));
    ssize_t n = ::recv(fd, bytes.data(), bytes.size(), MSG_PEEK | MSG_DONTWAIT);
    if (n < 0 && errno != EAGAIN) return ErrnoStatus("recv(MSG_PEEK) of a repair queue");
    bytes.resize(n < 0 ? 0 : static_cast<size_t>(n));
    if (Status st = QueueSeq(fd, after); !st.ok()) return st;
    if (before == after && bytes.size() < size_hint + (64u << 10)) {
      end_seq = after;
      return Status::Ok();
    }
    size_hint = static_cast<uint32_t>(bytes.size()) + (after - before);
  }
  return Unavailable("a TCP queue kept changing while it was read (traffic not blocked?)");
}

Status ReadOptions(int fd, TcpSnapshot& s) {
  tcp_info info{};
  if (Status st = GetOption(fd, IPPROTO_TCP, TCP_INFO, info, "TCP_INFO"); !st.ok()) return st;
  if (info.tcpi_state != TCP_ESTABLISHED) {
    return Rejected(
        fmt::format("TCP state {} is not ESTABLISHED: only established connections "
                    "are captured",
                    info.tcpi_state));
  }
  s.window_scaling = (info.tcpi_options & TCPI_OPT_WSCALE) != 0;
  s.sack = (info.tcpi_options & TCPI_OPT_SACK) != 0;
  s.timestamps = (info.tcpi_options & TCPI_OPT_TIMESTAMPS) != 0;
  s.send_wscale = s.window_scaling ? info.tcpi_snd_wscale : 0;
  s.recv_wscale = s.window_scaling ? info.tcpi_rcv_wscale : 0;
  int mss = 0;  // in repair mode: the MSS the peer announced (mss_clamp)
  if (Status st = GetOption(fd, IPPROTO_TCP, TCP_MAXSEG, mss, "TCP_MAXSEG"); !st.ok()) return st;
  s.mss = static_cast<uint16_t>(mss);
  int nodelay = 0;
  if (Status st = GetOption(fd, IPPROTO_TCP, TCP_NODELAY, nodelay, "TCP_NODELAY"); !st.ok()) {
    return st;
  }
  s.nodelay = nodelay != 0;
  if (Status st = GetOption(fd, IPPROTO_TCP, TCP_TIMESTAMP, s.timestamp, "TCP_TIMESTAMP");
      !st.ok()) {
    return st;
  }
  tcp_repair_window w{};
  if (Status st = GetOption(fd, IPPROTO_TCP, TCP_REPAIR_WINDOW, w, "TCP_REPAIR_WINDOW"); !st.ok()) {
    return st;
  }
  s.window = RepairWindow{.snd_wl1 = w.snd_wl1,
                          .snd_wnd = w.snd_wnd,
                          .max_window = w.max_window,
                          .rcv_wnd = w.rcv_wnd,
                          .rcv_wup = w.rcv_wup};
  return Status::Ok();
}

Status ReadEndpoints(int fd, TcpSnapshot& s) {
  Result<Endpoint> local = LocalEndpoint(fd);
  if (!local.ok()) return local.status();
  Result<Endpoint> remote = RemoteEndpoint(fd);
  if (!remote.ok()) return remote.status();
  s.local = *local;
  s.remote = *remote;
  return Status::Ok();
}

Status ReadQueues(int fd, TcpSnapshot& s) {
  uint32_t inq = 0;
  uint32_t outq = 0;
  uint32_t unsent = 0;
  if (Status st = QueueSize(fd, SIOCINQ, "SIOCINQ", inq); !st.ok()) return st;
  if (Status st = QueueSize(fd, SIOCOUTQ, "SIOCOUTQ", outq); !st.ok()) return st;
  if (Status st = ReadQueue(fd, TCP_RECV_QUEUE, inq, s.recv_queue, s.recv_seq); !st.ok()) {
    return st;
  }
  if (Status st = ReadQueue(fd, TCP_SEND_QUEUE, outq, s.send_queue, s.send_seq); !st.ok()) {
    return st;
  }
  if (Status st = QueueSize(fd, SIOCOUTQNSD, "SIOCOUTQNSD", unsent); !st.ok()) return st;
  s.unsent_bytes = std::min<uint32_t>(unsent, static_cast<uint32_t>(s.send_queue.size()));
  return SelectQueue(fd, TCP_NO_QUEUE);
}

Status CaptureFrozen(int fd, TcpSnapshot& s) {
  if (Status st = ReadOptions(fd, s); !st.ok()) return st;
  if (Status st = ReadEndpoints(fd, s); !st.ok()) return st;
  if (Status st = ReadQueues(fd, s); !st.ok()) return st;
  auto now = std::chrono::system_clock::now().time_since_epoch();
  s.captured_at_us =
      static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::microseconds>(now).count());
  return Status::Ok();
}

}  // namespace

Result<TcpSnapshot> Capture(int fd, AfterCapture after) {
  if (Status st = SetOption(fd, IPPROTO_TCP, TCP_REPAIR, int{TCP_REPAIR_ON}, "TCP_REPAIR on");
      !st.ok()) {
    return st;
  }
  TcpSnapshot s;
  Status st = CaptureFrozen(fd, s);
  if (st.ok() && after == AfterCapture::kKeepFrozen) return s;
  // Nothing was changed, so the peer needs no window probe.
  Status thaw = SetOption(fd, IPPROTO_TCP, TCP_REPAIR, int{TCP_REPAIR_OFF_NO_WP}, "TCP_REPAIR off");
  if (!st.ok()) return st;
  if (!thaw.ok()) return thaw;
  return s;
}

}  // namespace hasync::tcp
