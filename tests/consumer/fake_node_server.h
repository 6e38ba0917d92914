// FakeNodeServer: a node's consumer port on 127.0.0.1 (an ephemeral port), played by a test on
// its own Asio thread, for the loopback tests of hasync::Consumer and the C API. It answers
// every hello with a welcome of the status the test sets, records the hellos and acks it
// receives, and sends the updates the test gives it on the subscription connection.
#pragma once

#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "scripted_node.h"
#include "wire/consumer_messages.h"

namespace hasync::consumer::testing {

class FakeNodeServer {
 public:
  FakeNodeServer(uint16_t node_id, wire::WelcomeStatus status, uint64_t channel);
  ~FakeNodeServer();
  FakeNodeServer(const FakeNodeServer&) = delete;
  FakeNodeServer& operator=(const FakeNodeServer&) = delete;

  std::string endpoint() const { return endpoint_; }
  // How it answers the next hellos.
  void SetStatus(wire::WelcomeStatus status);
  // Sends an update on the latest subscription connection (waits until it is sent).
  void SendUpdate(const UpdateHeader& header, const std::vector<Rec>& records);
  // Closes every connection (a node that dies or steps down).
  void CloseConnections();

  // Waits (up to `timeout`) until `done` holds over what was received; returns whether it did.
  bool WaitFor(const std::function<bool()>& done,
               std::chrono::milliseconds timeout = std::chrono::seconds(10));
  // What it received; read under WaitFor, or with lock().
  std::vector<wire::ConsumerHello> hellos;
  std::vector<wire::ConsumerAck> acks;
  std::unique_lock<std::mutex> lock() { return std::unique_lock(mutex_); }

 private:
  struct Conn;
  void Accept();
  void Read(const std::shared_ptr<Conn>& conn);
  void OnFrame(const std::shared_ptr<Conn>& conn, const wire::FrameView& frame);
  template <typename Message>
  void Send(const std::shared_ptr<Conn>& conn, const Message& message);
  // Runs `fn` on the server's thread and waits for it.
  void RunOnLoop(std::function<void()> fn);

  uint16_t node_id_;
  wire::WelcomeStatus status_;  // loop thread
  uint64_t channel_;
  asio::io_context io_;
  asio::ip::tcp::acceptor acceptor_;
  std::string endpoint_;
  std::vector<std::shared_ptr<Conn>> conns_;  // loop thread
  std::shared_ptr<Conn> subscribed_;          // loop thread
  std::mutex mutex_;
  std::condition_variable changed_;
  std::thread thread_;
};

}  // namespace hasync::consumer::testing
