// RawConsumer: a consumer written by hand for the consumer port's tests: a blocking TCP socket,
// frames encoded and decoded with wire/consumer_messages.h, every read bounded by a deadline,
// so a test can send what hasync::Consumer never would and see exactly what the node answers.
#pragma once

#include <gtest/gtest.h>

#include <asio/connect.hpp>
#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/write.hpp>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "wire/consumer_messages.h"
#include "wire/frame.h"

namespace hasync::testing {

class RawConsumer {
 public:
  // Connects to 127.0.0.1:`port`; connected() says whether it did.
  explicit RawConsumer(uint16_t port) : socket_(io_) {
    asio::error_code ec;
    socket_.connect({asio::ip::make_address("127.0.0.1"), port}, ec);
    connected_ = !ec;
    if (connected_) socket_.non_blocking(true, ec);
  }

  bool connected() const { return connected_; }

  template <typename Message>
  void Send(const Message& m) {
    std::vector<uint8_t> out;
    wire::FrameWriter w(&out);
    wire::Encode(w, next_seq_++, m);
    socket_.non_blocking(false);
    asio::error_code ec;
    asio::write(socket_, asio::buffer(out), ec);
    socket_.non_blocking(true);
  }

  // The next frame, or nullopt at the deadline, at EOF or on a malformed stream (closed()
  // tells EOF apart).
  std::optional<wire::FrameView> Next(std::chrono::milliseconds limit = std::chrono::seconds(5)) {
    auto deadline = std::chrono::steady_clock::now() + limit;
    while (true) {
      Result<wire::FrameView> frame = reader_.Next();
      if (frame.ok()) return *frame;
      if (frame.status().code() != Code::kNotFound) return std::nullopt;
      uint8_t buffer[64 << 10];
      asio::error_code ec;
      size_t n = socket_.read_some(asio::buffer(buffer), ec);
      if (ec == asio::error::would_block || ec == asio::error::try_again) {
        if (std::chrono::steady_clock::now() > deadline) return std::nullopt;
        std::this_thread::sleep_for(std::chrono::milliseconds(2));
        continue;
      }
      if (ec) {
        closed_ = true;
        return std::nullopt;
      }
      reader_.Feed({buffer, n});
    }
  }

  // Reads until the node closes the connection (true) or `limit` passes (false).
  bool WaitClosed(std::chrono::milliseconds limit = std::chrono::seconds(5)) {
    auto deadline = std::chrono::steady_clock::now() + limit;
    while (!closed_ && std::chrono::steady_clock::now() < deadline) {
      Next(std::chrono::milliseconds(20));
    }
    return closed_;
  }

  // The answer to a hello.
  std::optional<wire::ConsumerWelcome> Welcome() {
    std::optional<wire::FrameView> frame = Next();
    if (!frame || frame->type != wire::MsgType::kConsumerWelcome) return std::nullopt;
    Result<wire::ConsumerWelcome> welcome = wire::DecodeConsumerWelcome(frame->payload);
    if (!welcome.ok()) return std::nullopt;
    return *welcome;
  }

 private:
  asio::io_context io_;
  asio::ip::tcp::socket socket_;
  bool connected_ = false;
  bool closed_ = false;
  uint64_t next_seq_ = 1;
  wire::FrameReader reader_;
};

inline wire::ConsumerHello Subscribe(std::string table, std::string name) {
  wire::ConsumerHello hello;
  hello.table = std::move(table);
  hello.name = std::move(name);
  return hello;
}

}  // namespace hasync::testing
