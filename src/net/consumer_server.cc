#include "net/consumer_server.h"

#include <spdlog/spdlog.h>

#include <asio/post.hpp>
#include <asio/write.hpp>
#include <random>
#include <utility>

#include "common/endpoint.h"

namespace hasync::net {
namespace {

// The publisher's channel ids must differ from those of the node's earlier lives.
uint64_t RandomSeed() {
  std::random_device source;
  return (uint64_t{source()} << 32) | source();
}

}  // namespace

ConsumerServer::ConsumerServer(asio::io_context& io, NodeDriver& driver, Options options)
    : io_(io),
      driver_(driver),
      options_(std::move(options)),
      publisher_(options_.publisher, driver.node().config().node_id, RandomSeed()),
      limiter_(options_.max_connections_per_second),
      acceptor_(io),
      accept_timer_(io),
      refusal_timer_(io),
      timer_(io) {}

ConsumerServer::~ConsumerServer() { Stop(); }

void ConsumerServer::SetSectionFunction(std::string_view table, replay::SectionFunction fn) {
  publisher_.SetSectionFunction(table, std::move(fn));
}

void ConsumerServer::Attach() {
  driver_.WithNode([this](core::Node& node, core::TimePoint) { publisher_.Attach(node); });
  driver_.SetApplicationDigest("consumers", publisher_.settings_digest());
  driver_.AddEffectsDrainer(lifetime_.Guard([this] { CarryOut(); }));
}

Status ConsumerServer::Start() {
  asio::error_code ec;
  acceptor_.open(options_.listen.protocol(), ec);
  if (!ec) acceptor_.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) acceptor_.bind(options_.listen, ec);
  if (!ec) acceptor_.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    return IoError(fmt::format("consumers: cannot listen on {}: {}",
                               FormatEndpoint(options_.listen), ec.message()));
  }
  bound_ = acceptor_.local_endpoint(ec);
  spdlog::info("consumers: listening on {} (ack mode {})", FormatEndpoint(bound_),
               options_.publisher.ack_mode == wire::AckMode::kDirect ? "direct" : "forwarded");
  if (!bound_.address().is_loopback()) {
    spdlog::warn(
        "consumers: the consumer port is not authenticated: anyone who can reach {} can read "
        "the tables it serves",
        FormatEndpoint(bound_));
  }
  Accept();
  return Status::Ok();
}

void ConsumerServer::Stop() {
  stopped_ = true;
  asio::error_code ignored;
  acceptor_.close(ignored);
  accept_timer_.cancel();
  refusal_timer_.cancel();
  timer_.cancel();
  for (auto& [id, conn] : conns_) conn->Close();
  conns_.clear();
}

void ConsumerServer::Accept() {
  acceptor_.async_accept(lifetime_.Guard([this](asio::error_code ec, asio::ip::tcp::socket s) {
    if (stopped_ || ec == asio::error::operation_aborted) return;
    if (ec) {
      spdlog::warn("consumers: accept failed: {}; retrying", ec.message());
      accept_timer_.expires_after(std::chrono::milliseconds(100));
      accept_timer_.async_wait(lifetime_.Guard([this](asio::error_code wait_ec) {
        if (!wait_ec && !stopped_) Accept();
      }));
      return;
    }
    OnAccepted(std::move(s));
    Accept();
  }));
}

void ConsumerServer::OnAccepted(asio::ip::tcp::socket socket) {
  asio::error_code ec;
  asio::ip::tcp::endpoint remote = socket.remote_endpoint(ec);
  // Refused before anything is spent on it: a flood costs an accept and a close each.
  if (!limiter_.Admit(std::chrono::steady_clock::now(), remote.address().to_string())) {
    ++counters_.rate_limited;
    socket.close(ec);
    ScheduleRefusalSummary();
    return;
  }
  if (conns_.size() >= options_.publisher.max_connections) {
    ++counters_.busy;
    ++busy_unreported_;
    socket.close(ec);
    ScheduleRefusalSummary();
    return;
  }
  socket.set_option(asio::ip::tcp::no_delay(true), ec);
  auto conn = std::make_shared<ConsumerConn>(std::move(socket), next_id_++, FormatEndpoint(remote));
  conn->read_buffer.resize(kReadBufferBytes);
  conns_.emplace(conn->id, conn);
  driver_.WithNode(
      [&](core::Node&, core::TimePoint now) { publisher_.OnConnected(now, conn->id); });
  if (conns_.count(conn->id) != 0) Read(conn);
}

void ConsumerServer::ScheduleRefusalSummary() {
  if (refusal_summary_armed_) return;
  refusal_summary_armed_ = true;
  refusal_timer_.expires_after(std::chrono::seconds(1));
  refusal_timer_.async_wait(lifetime_.Guard([this](asio::error_code ec) {
    refusal_summary_armed_ = false;
    if (ec) return;
    if (std::optional<std::string> summary = limiter_.TakeSummary()) {
      spdlog::warn("consumers: {}", *summary);
    }
    if (uint64_t busy = std::exchange(busy_unreported_, 0); busy > 0) {
      spdlog::warn(
          "consumers: refused {} connection{} in the last second: {} were open "
          "(max_connections)",
          busy, busy == 1 ? "" : "s", conns_.size());
    }
  }));
}

void ConsumerServer::Read(const Conn& conn) {
  conn->socket.async_read_some(
      asio::buffer(conn->read_buffer),
      lifetime_.Guard([this, conn](asio::error_code ec, size_t n) { OnRead(conn, ec, n); }));
}

void ConsumerServer::OnRead(const Conn& conn, const asio::error_code& ec, size_t n) {
  if (conn->closing || stopped_) return;  // the publisher is done with it, or everything is
  if (ec) return Lost(conn);
  driver_.WithNode([&](core::Node&, core::TimePoint now) {
    publisher_.OnBytes(now, conn->id, {conn->read_buffer.data(), n});
  });
  if (!conn->closing) Read(conn);
}

// The consumer went away (EOF, a reset, a socket error): reported once.
void ConsumerServer::Lost(const Conn& conn) {
  conn->Close();
  if (conns_.erase(conn->id) == 0) return;
  driver_.WithNode([&](core::Node&, core::TimePoint now) { publisher_.OnClosed(now, conn->id); });
}

void ConsumerServer::CarryOut() {
  replay::PublisherEffects& effects = publisher_.effects();
  // Taken out first: carrying them out may feed the publisher again (a lost connection).
  std::vector<replay::PublisherEffects::Send> sends;
  std::vector<replay::ConnId> close;
  std::vector<core::LogLine> logs;
  sends.swap(effects.sends);
  close.swap(effects.close);
  logs.swap(effects.logs);
  for (const core::LogLine& line : logs) Log(line);
  for (const replay::PublisherEffects::Send& send : sends) Queue(send.conn, send.bytes);
  for (replay::ConnId id : close) CloseAfterWrites(id);
  ArmTimer(effects.timer);
}

void ConsumerServer::Queue(replay::ConnId id, std::span<const uint8_t> bytes) {
  auto it = conns_.find(id);
  if (it == conns_.end()) return;  // closed meanwhile: the publisher hears of it
  Conn conn = it->second;
  if (conn->queued() + bytes.size() > options_.max_queue_bytes) {
    ++counters_.overflowed;
    spdlog::warn("consumers: closing the connection from {}: {} bytes queued (max_queue_bytes)",
                 conn->remote, conn->queued() + bytes.size());
    conn->Close();
    conns_.erase(it);
    // Reported on the next turn: the publisher is in the middle of handing out its effects.
    asio::post(io_, lifetime_.Guard([this, id] {
      driver_.WithNode([&](core::Node&, core::TimePoint now) { publisher_.OnClosed(now, id); });
    }));
    return;
  }
  conn->pending.insert(conn->pending.end(), bytes.begin(), bytes.end());
  if (!conn->write_in_flight) StartWrite(conn);
}

void ConsumerServer::StartWrite(const Conn& conn) {
  conn->writing.swap(conn->pending);  // `pending` takes the drained buffer and its capacity
  conn->write_in_flight = true;
  asio::async_write(
      conn->socket, asio::buffer(conn->writing),
      lifetime_.Guard([this, conn](asio::error_code ec, size_t) { OnWritten(conn, ec); }));
}

void ConsumerServer::OnWritten(const Conn& conn, const asio::error_code& ec) {
  conn->write_in_flight = false;
  conn->writing.clear();
  if (stopped_) return;
  if (ec) return Lost(conn);
  if (!conn->closing && conns_.count(conn->id) == 0) return;  // lost meanwhile (reported)
  if (!conn->pending.empty()) StartWrite(conn);
  if (conn->closing) {
    if (!conn->write_in_flight) conn->Close();  // everything the publisher queued went out
    return;
  }
  driver_.WithNode([&](core::Node&, core::TimePoint now) {
    publisher_.OnWritten(now, conn->id, conn->queued());
  });
}

// The publisher is done with `id` (it forgot the connection): what it queued goes out first.
void ConsumerServer::CloseAfterWrites(replay::ConnId id) {
  auto it = conns_.find(id);
  if (it == conns_.end()) return;
  Conn conn = it->second;
  conns_.erase(it);
  conn->closing = true;
  if (!conn->write_in_flight) return conn->Close();
  conn->linger.expires_after(kLinger);
  conn->linger.async_wait([conn](asio::error_code ec) {
    if (!ec) conn->Close();
  });
}

void ConsumerServer::ArmTimer(core::TimePoint deadline) {
  if (deadline == timer_deadline_) return;
  timer_deadline_ = deadline;
  if (deadline == core::kNever) {
    timer_.cancel();
    return;
  }
  timer_.expires_after(
      std::chrono::duration_cast<std::chrono::steady_clock::duration>(deadline - driver_.Now()));
  timer_.async_wait(lifetime_.Guard([this, deadline](asio::error_code ec) {
    // A re-armed timer's old expiry may already be queued: only the current deadline counts.
    if (ec || stopped_ || deadline != timer_deadline_) return;
    timer_deadline_ = core::kNever;
    driver_.WithNode([&](core::Node&, core::TimePoint now) { publisher_.OnTimer(now); });
  }));
}

}  // namespace hasync::net
