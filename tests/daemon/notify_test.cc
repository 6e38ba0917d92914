#include "daemon/notify.h"

#include <gtest/gtest.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <sstream>

namespace hasync::daemon {
namespace {

using namespace std::chrono_literals;

class NotifyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    spdlog::set_level(spdlog::level::off);
    out_ = "/tmp/hasync-notify-test-" + std::to_string(getpid()) + ".log";
    unlink(out_.c_str());
  }
  void TearDown() override { unlink(out_.c_str()); }

  // A shell command that appends its arguments (after the configured ones) to out_.
  Command Recorder(std::string tag) {
    return {"/bin/sh", "-c", "echo \"$0 $*\" >> " + out_, std::move(tag)};
  }

  void RunUntilIdle(NotifyRunner& runner, std::chrono::milliseconds limit = 5s) {
    auto deadline = std::chrono::steady_clock::now() + limit;
    while ((runner.running() || runner.queued() > 0) &&
           std::chrono::steady_clock::now() < deadline) {
      io_.run_for(10ms);
      if (io_.stopped()) io_.restart();
    }
  }

  std::string Output() {
    std::ifstream in(out_);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
  }

  asio::io_context io_;
  std::string out_;
};

TEST_F(NotifyTest, ScriptsRunInOrderWithRoleIdAndReason) {
  NotifyConfig config;
  config.on_active = Recorder("active-script");
  config.on_standby = Recorder("standby-script");
  config.on_any = Recorder("any-script");
  NotifyRunner runner(io_, config);
  runner.RoleChanged(Role::kActive, 1, "no peer answered");
  runner.RoleChanged(Role::kStandby, 1, "switched over to node 2");
  RunUntilIdle(runner);
  EXPECT_EQ(Output(),
            "active-script active 1 no peer answered\n"
            "any-script active 1 no peer answered\n"
            "standby-script standby 1 switched over to node 2\n"
            "any-script standby 1 switched over to node 2\n");
}

TEST_F(NotifyTest, SplitBrainDetectedArguments) {
  NotifyConfig config;
  config.on_split_brain = Recorder("split");
  config.on_any = Recorder("any");
  config.on_active = Recorder("active-script");  // not run: no role change here
  NotifyRunner runner(io_, config);
  runner.SplitBrainDetected(1, core::SplitBrainDetected{2, true}, "node 2 is active too");
  runner.SplitBrainDetected(2, core::SplitBrainDetected{1, false}, "yield");
  RunUntilIdle(runner);
  EXPECT_EQ(Output(),
            "split detected 2 keeps\n"
            "any split-brain-detected 1 node 2 is active too\n"
            "split detected 1 yields\n"
            "any split-brain-detected 2 yield\n");
}

TEST_F(NotifyTest, SplitBrainResolvedArgumentsOnBothSides) {
  NotifyConfig config;
  config.on_split_brain = Recorder("split");
  config.on_any = Recorder("any");
  NotifyRunner runner(io_, config);
  core::ReconcileCompleted active;
  active.peer = 2;
  active.split_brain = true;
  active.merged = {.received = 120,
                   .inserted = 100,
                   .replaced = 15,
                   .deleted = 1,
                   .kept = 4,
                   .written = 0,
                   .swept = 0};
  runner.SplitBrainResolved(1, active, "merged");
  core::ReconcileCompleted yielder;
  yielder.peer = 1;
  yielder.split_brain = true;
  yielder.sender = true;
  yielder.sent = 120;
  runner.SplitBrainResolved(2, yielder, "sent");
  RunUntilIdle(runner);
  EXPECT_EQ(Output(),
            "split resolved 2 120 100 15 1 4\n"
            "any split-brain-resolved 1 merged\n"
            "split resolved 1 120 0 0 0 0\n"
            "any split-brain-resolved 2 sent\n");
}

TEST_F(NotifyTest, SplitBrainWithoutScriptsRunsNothing) {
  NotifyConfig config;
  config.on_active = Recorder("active-script");
  config.on_standby = Recorder("standby-script");
  NotifyRunner runner(io_, config);
  runner.SplitBrainDetected(1, core::SplitBrainDetected{2, true}, "x");
  core::ReconcileCompleted resolved;
  resolved.peer = 2;
  runner.SplitBrainResolved(1, resolved, "y");
  EXPECT_EQ(runner.queued(), 0u);
  EXPECT_FALSE(runner.running());
}

TEST_F(NotifyTest, MissingOrFailingScriptDoesNotStopTheNext) {
  NotifyConfig config;
  config.on_active = {"/nonexistent/notify.sh"};
  config.on_any = Recorder("after");
  NotifyRunner runner(io_, config);
  runner.RoleChanged(Role::kActive, 2, "failover");
  RunUntilIdle(runner);
  EXPECT_EQ(Output(), "after active 2 failover\n");

  NotifyConfig failing;
  failing.on_any = {"/bin/false"};
  failing.on_standby = Recorder("first");
  NotifyRunner second(io_, failing);
  second.RoleChanged(Role::kStandby, 2, "x");
  second.RoleChanged(Role::kStandby, 2, "y");
  RunUntilIdle(second);
  EXPECT_EQ(Output(), "after active 2 failover\nfirst standby 2 x\nfirst standby 2 y\n");
}

TEST_F(NotifyTest, HungScriptIsKilledAfterTheTimeout) {
  NotifyConfig config;
  config.on_active = {"/bin/sh", "-c", "exec sleep 30"};
  config.on_any = Recorder("next");
  NotifyRunner runner(io_, config, 100ms);
  auto start = std::chrono::steady_clock::now();
  runner.RoleChanged(Role::kActive, 1, "r");
  RunUntilIdle(runner);
  EXPECT_LT(std::chrono::steady_clock::now() - start, 5s);
  EXPECT_EQ(Output(), "next active 1 r\n");
}

TEST_F(NotifyTest, QueueIsBounded) {
  NotifyConfig config;
  config.on_any = {"/bin/sh", "-c", "exec sleep 30"};
  NotifyRunner runner(io_, config, 10ms);
  for (int i = 0; i < 100; ++i) runner.RoleChanged(Role::kActive, 1, "flap");
  EXPECT_LE(runner.queued(), NotifyRunner::kMaxQueued);
  RunUntilIdle(runner);  // each one killed after 10 ms: no child outlives the test
  EXPECT_FALSE(runner.running());
}

}  // namespace
}  // namespace hasync::daemon
