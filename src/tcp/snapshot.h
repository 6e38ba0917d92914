// TcpSnapshot: everything needed to recreate one established TCP connection on another socket,
// in another process or on another node, so that the remote peer cannot tell the difference.
//
// It is a plain value: tcp/repair.h fills it from a live socket (Capture) and makes a socket from
// it (Restore); tcp/snapshot_codec.h turns it into bytes and back. Sequence numbers are the
// kernel's own (32-bit, wrapping); the queues hold the bytes themselves, so a snapshot of a
// connection with full buffers is as large as those buffers (a few MiB at most).
#pragma once

#include <array>
#include <cstdint>
#include <string>

namespace hasync::tcp {

// An IPv4 or IPv6 address and port. IPv4 addresses fill the first 4 bytes of `addr`; the rest
// stays zero. Link-local IPv6 scopes are not carried: a scope id means nothing on another node.
struct Endpoint {
  enum class Family : uint8_t { kIpv4 = 4, kIpv6 = 6 };
  Family family = Family::kIpv4;
  std::array<uint8_t, 16> addr{};
  uint16_t port = 0;  // host order

  friend bool operator==(const Endpoint&, const Endpoint&) = default;
};

// The window variables of TCP_REPAIR_WINDOW (struct tcp_repair_window), restored verbatim.
struct RepairWindow {
  uint32_t snd_wl1 = 0;     // sequence of the segment that last updated the send window
  uint32_t snd_wnd = 0;     // the peer's advertised window, in bytes
  uint32_t max_window = 0;  // the largest window the peer advertised
  uint32_t rcv_wnd = 0;     // the window this side advertised
  uint32_t rcv_wup = 0;     // rcv_nxt when that window was advertised

  friend bool operator==(const RepairWindow&, const RepairWindow&) = default;
};

struct TcpSnapshot {
  Endpoint local;
  Endpoint remote;

  // Sequence numbers at the ends of the two queues: `send_seq` follows the last byte the
  // application queued for sending (the kernel's write_seq), `recv_seq` the last byte received
  // (rcv_nxt). The send queue starts at send_seq - send_queue.size() (the oldest unacknowledged
  // byte), the receive queue at recv_seq - recv_queue.size() (the first unread byte).
  uint32_t send_seq = 0;
  uint32_t recv_seq = 0;

  // Options negotiated in the handshake. The window scales mean something only with
  // `window_scaling`; `timestamp` only with `timestamps`.
  uint16_t mss = 0;
  uint8_t send_wscale = 0;  // how the peer scales the windows it advertises
  uint8_t recv_wscale = 0;  // how this side scales its own
  bool window_scaling = false;
  bool sack = false;
  bool timestamps = false;
  bool nodelay = false;
  // The connection's timestamp clock at capture (TCP_TIMESTAMP): milliseconds, or microseconds
  // when bit 0 is set (kernels since 6.7 mark microsecond clocks so).
  uint32_t timestamp = 0;
  // Wall-clock time of the capture, in microseconds since the Unix epoch: a restore advances
  // `timestamp` by the time elapsed since, so that the peer never sees the clock go back.
  uint64_t captured_at_us = 0;

  RepairWindow window;

  // Bytes sent or queued but not acknowledged by the peer, oldest first; the last
  // `unsent_bytes` of them were never transmitted.
  std::string send_queue;
  uint32_t unsent_bytes = 0;
  // Bytes received and acknowledged but not yet read by the application.
  std::string recv_queue;

  friend bool operator==(const TcpSnapshot&, const TcpSnapshot&) = default;
};

}  // namespace hasync::tcp
