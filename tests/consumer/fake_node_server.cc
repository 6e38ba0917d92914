#include "fake_node_server.h"

#include <gtest/gtest.h>

#include <asio/post.hpp>
#include <asio/write.hpp>
#include <future>

namespace hasync::consumer::testing {

struct FakeNodeServer::Conn {
  explicit Conn(asio::ip::tcp::socket s) : socket(std::move(s)) {}
  asio::ip::tcp::socket socket;
  wire::FrameReader reader;
  uint64_t seq = 1;
  std::vector<uint8_t> buffer = std::vector<uint8_t>(64 << 10);
};

FakeNodeServer::FakeNodeServer(uint16_t node_id, wire::WelcomeStatus status, uint64_t channel)
    : node_id_(node_id), status_(status), channel_(channel), acceptor_(io_) {
  asio::ip::tcp::endpoint local(asio::ip::make_address("127.0.0.1"), 0);
  acceptor_.open(local.protocol());
  acceptor_.bind(local);
  acceptor_.listen();
  endpoint_ = "127.0.0.1:" + std::to_string(acceptor_.local_endpoint().port());
  Accept();
  thread_ = std::thread([this] { io_.run(); });
}

FakeNodeServer::~FakeNodeServer() {
  asio::post(io_, [this] {
    asio::error_code ignored;
    acceptor_.close(ignored);
    for (auto& conn : conns_) conn->socket.close(ignored);
    io_.stop();
  });
  thread_.join();
}

void FakeNodeServer::Accept() {
  acceptor_.async_accept([this](asio::error_code ec, asio::ip::tcp::socket socket) {
    if (ec) return;
    auto conn = std::make_shared<Conn>(std::move(socket));
    conns_.push_back(conn);
    Read(conn);
    Accept();
  });
}

void FakeNodeServer::Read(const std::shared_ptr<Conn>& conn) {
  conn->socket.async_read_some(asio::buffer(conn->buffer),
                               [this, conn](asio::error_code ec, size_t n) {
                                 if (ec) return;
                                 conn->reader.Feed({conn->buffer.data(), n});
                                 while (true) {
                                   Result<wire::FrameView> frame = conn->reader.Next();
                                   if (!frame.ok()) break;
                                   OnFrame(conn, *frame);
                                 }
                                 Read(conn);
                               });
}

void FakeNodeServer::OnFrame(const std::shared_ptr<Conn>& conn, const wire::FrameView& frame) {
  std::lock_guard lock(mutex_);
  if (frame.type == wire::MsgType::kConsumerHello) {
    Result<wire::ConsumerHello> hello = wire::DecodeConsumerHello(frame.payload, {});
    EXPECT_TRUE(hello.ok()) << hello.status().ToString();
    if (!hello.ok()) return;
    hellos.push_back(*hello);
    Send(conn, wire::ConsumerWelcome{.status = status_,
                                     .node_id = node_id_,
                                     .channel = status_ == wire::WelcomeStatus::kOk ? channel_ : 0,
                                     .ack_mode = wire::AckMode::kForwarded,
                                     .ack_interval_ms = 5,
                                     .text = {}});
    if (status_ == wire::WelcomeStatus::kOk && !hello->ack_only) subscribed_ = conn;
  } else if (frame.type == wire::MsgType::kConsumerAck) {
    Result<wire::ConsumerAck> ack = wire::DecodeConsumerAck(frame.payload);
    EXPECT_TRUE(ack.ok()) << ack.status().ToString();
    if (ack.ok()) acks.push_back(*ack);
  }
  changed_.notify_all();
}

template <typename Message>
void FakeNodeServer::Send(const std::shared_ptr<Conn>& conn, const Message& message) {
  std::vector<uint8_t> bytes;
  wire::FrameWriter writer(&bytes);
  wire::Encode(writer, conn->seq++, message);
  // Blocking, so frames never interleave; a consumer reads everything it is sent.
  asio::error_code ignored;
  asio::write(conn->socket, asio::buffer(bytes), ignored);
}

void FakeNodeServer::RunOnLoop(std::function<void()> fn) {
  std::promise<void> done;
  asio::post(io_, [&] {
    fn();
    done.set_value();
  });
  done.get_future().wait();
}

void FakeNodeServer::SetStatus(wire::WelcomeStatus status) {
  RunOnLoop([this, status] { status_ = status; });
}

void FakeNodeServer::SendUpdate(const UpdateHeader& h, const std::vector<Rec>& records) {
  RunOnLoop([&] {
    ASSERT_TRUE(subscribed_) << "no subscription on " << endpoint_;
    Send(subscribed_, MakeUpdate(h, records));
  });
}

void FakeNodeServer::CloseConnections() {
  RunOnLoop([this] {
    asio::error_code ignored;
    for (auto& conn : conns_) conn->socket.close(ignored);
    conns_.clear();
    subscribed_.reset();
  });
}

bool FakeNodeServer::WaitFor(const std::function<bool()>& done, std::chrono::milliseconds timeout) {
  std::unique_lock lock(mutex_);
  return changed_.wait_for(lock, timeout, done);
}

}  // namespace hasync::consumer::testing
