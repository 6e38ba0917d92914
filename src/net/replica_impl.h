// Replica::Impl: the loop, thread and driver behind hasync::Replica, shared with hasync::Pool
// (pool_handle.cc), whose calls go through the same Call() onto the replica's loop.
#pragma once

#include <asio/executor_work_guard.hpp>
#include <asio/io_context.hpp>
#include <asio/post.hpp>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <future>
#include <memory>
#include <mutex>
#include <thread>

#include "hasync/node.h"
#include "net/consumer_server.h"
#include "net/node_driver.h"
#include "net/pool_service.h"

namespace hasync {

inline constexpr std::chrono::milliseconds kGoodbyeTimeout{500};

class Replica::Impl {
 public:
  Impl(net::NodeDriver::Options options, NodeId pool_peer)
      : work_(io_.get_executor()),
        driver_(io_, std::move(options)),
        pools_(io_, driver_, driver_.node().config().node_id, pool_peer) {}

  // Runs `fn(reply)` on the loop and waits for `reply` to be called (possibly later, by a
  // callback). R must be constructible from a Status.
  template <typename R, typename Fn>
  R Call(Fn fn) {
    if (std::this_thread::get_id() == loop_thread_.load()) {
      return R(Unavailable("called from the replica's own thread; this would deadlock"));
    }
    auto promise = std::make_shared<std::promise<R>>();
    std::future<R> future = promise->get_future();
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (!running_) return R(Unavailable("the replica is not running"));
      asio::post(io_, [promise, fn = std::move(fn)]() mutable {
        fn([promise](R result) { promise->set_value(std::move(result)); });
      });
    }
    return future.get();
  }

  // Claims the loop for one run; a replica runs once. The consumers' publisher joins the node
  // now, after SetSectionFunction: the node has taken no input before its loop runs.
  Status Enter() {
    std::lock_guard<std::mutex> lock(mu_);
    if (running_ || finished_) return Unavailable("the replica already runs (or ran)");
    running_ = true;
    if (consumers_) consumers_->Attach();
    return Status::Ok();
  }

  void RunLoop() {
    loop_thread_ = std::this_thread::get_id();
    io_.run();
    // Answer the calls posted before Stop() closed the door; the stopped driver refuses them.
    io_.restart();
    io_.poll();
    loop_thread_ = std::thread::id();
    std::lock_guard<std::mutex> lock(mu_);
    finished_ = true;
    exited_.notify_all();
  }

  void Stop() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (!running_) {
        finished_ = true;  // never ran, or already stopped
        return;
      }
      running_ = false;
      asio::post(io_, [this] {
        driver_.Shutdown(kGoodbyeTimeout, [this] {
          pools_.Stop();
          if (consumers_) consumers_->Stop();
          work_.reset();
          io_.stop();
        });
      });
    }
    if (std::this_thread::get_id() == loop_thread_.load()) return;  // the loop ends after us
    if (thread_.joinable()) {
      thread_.join();
      return;
    }
    std::unique_lock<std::mutex> lock(mu_);
    exited_.wait(lock, [this] { return finished_; });
  }

  asio::io_context io_;
  asio::executor_work_guard<asio::io_context::executor_type> work_;
  net::NodeDriver driver_;                          // after io_: destroyed before it
  net::PoolService pools_;                          // after driver_: destroyed before it
  std::unique_ptr<net::ConsumerServer> consumers_;  // with a consumer port; after driver_ too
  std::thread thread_;
  std::atomic<std::thread::id> loop_thread_;
  std::mutex mu_;
  std::condition_variable exited_;
  bool running_ = false;   // the loop accepts calls
  bool finished_ = false;  // the loop has ended
};

}  // namespace hasync
