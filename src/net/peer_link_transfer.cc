// PeerLink's data path: bytes read go to the listener; bytes sent wait in the connection's
// bounded queue (PeerConn) while one write is in flight; a write that stops moving, or a queue
// past its bound, drops the connection as a peer that stopped reading.
#include <spdlog/spdlog.h>

#include <asio/post.hpp>

#include "net/peer_link.h"

namespace hasync::net {

namespace {

using Clock = std::chrono::steady_clock;

int64_t MillisSince(Clock::time_point then) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - then).count();
}

}  // namespace

void PeerLink::Read(const Conn& conn) {
  auto on_read = lifetime_.Guard([this, conn](asio::error_code ec, size_t n) {
    if (conn != conn_) return;
    if (ec) {
      Drop(conn, ClosedByPeer(ec) ? std::string("peer closed the connection") : ec.message());
      return;
    }
    if (!graceful_done_) listener_->OnLinkBytes({conn->read_buffer.data(), n});
    if (conn == conn_) Read(conn);
  });
  conn->WithStream(
      [&](auto& s) { s.async_read_some(asio::buffer(conn->read_buffer), std::move(on_read)); });
}

void PeerLink::Send(std::vector<uint8_t>& bytes) {
  if (conn_ && !bytes.empty() && !conn_->half_closed && !conn_->overflowed) {
    size_t queued = conn_->queued() + bytes.size();
    if (queued > options_.max_queue_bytes) {
      // Dropped on the next turn: the caller is in the middle of carrying out the core's
      // effects, and the link must not report the loss from inside Send.
      conn_->overflowed = true;
      asio::post(io_, lifetime_.Guard([this, conn = conn_, queued] {
        if (conn == conn_) DropStalled(conn, queued);
      }));
    } else if (conn_->pending.empty()) {
      conn_->pending.swap(bytes);
    } else {
      conn_->pending.insert(conn_->pending.end(), bytes.begin(), bytes.end());
    }
    if (!conn_->write_in_flight && !conn_->pending.empty()) StartWrite(conn_);
  }
  bytes.clear();
}

void PeerLink::StartWrite(const Conn& conn) {
  conn->StartWrite(lifetime_.Guard([this, conn](asio::error_code ec, size_t) {
    conn->write_in_flight = false;
    conn->writing.clear();
    conn->written = 0;
    if (conn != conn_) return;
    if (ec) {
      Drop(conn, "write failed: " + ec.message());
    } else if (!conn->pending.empty()) {
      StartWrite(conn);
    } else if (graceful_done_ && !conn->half_closed) {
      conn->ShutdownSend();
    }
  }));
  WatchStall(conn);
}

// The timer is not moved on every write: it fires at the first moment the write could have
// stalled, and is re-armed from the latest progress while writes keep moving.
void PeerLink::WatchStall(const Conn& conn) {
  if (conn->stall_watch) return;
  conn->stall_watch = true;
  conn->stall_timer.expires_at(conn->last_progress + options_.stall_timeout);
  conn->stall_timer.async_wait(lifetime_.Guard([this, conn](asio::error_code ec) {
    conn->stall_watch = false;
    if (ec || conn != conn_ || !conn->write_in_flight) return;
    if (Clock::now() - conn->last_progress >= options_.stall_timeout) {
      DropStalled(conn, conn->queued());
    } else {
      WatchStall(conn);
    }
  }));
}

void PeerLink::DropStalled(const Conn& conn, size_t queued) {
  ++counters_.peers_stalled;
  std::string bound = queued > options_.max_queue_bytes
                          ? fmt::format(" (over the bound of {})", options_.max_queue_bytes)
                          : std::string();
  Drop(conn, fmt::format("peer stopped reading: {} bytes queued{}, none written for {} ms", queued,
                         bound, MillisSince(conn->last_progress)));
}

}  // namespace hasync::net
