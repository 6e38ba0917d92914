// The consumers control command, the status summary and the consumer metrics as hasyncd wires
// them (daemon.cc): a NodeDriver with a ConsumerServer and ControlCommands, the io_context on
// its own thread behind a ControlServer on a unix socket, one node alone (active after a short
// wait), a RawConsumer subscribing.
#include "daemon/consumer_commands.h"

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <asio/io_context.hpp>
#include <asio/local/stream_protocol.hpp>
#include <asio/post.hpp>
#include <asio/read_until.hpp>
#include <asio/write.hpp>
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <thread>

#include "daemon/consumer_metrics.h"
#include "daemon/control_commands.h"
#include "daemon/control_server.h"
#include "daemon/metrics.h"
#include "net/consumer_options.h"
#include "net/consumer_test_client.h"
#include "net/driver_options.h"
#include "net/node_driver.h"
#include "net/pool_service.h"

namespace hasync::daemon {
namespace {

using asio::local::stream_protocol;
using nlohmann::json;
using namespace std::chrono_literals;

class ConsumerCommandsTest : public ::testing::Test {
 protected:
  void SetUp() override { spdlog::set_level(spdlog::level::err); }

  void Start(bool with_port) {
    ReplicaOptions node;
    node.listen = "127.0.0.1:0";
    node.startup_wait = 20ms;
    node.tls.insecure = true;
    if (with_port) node.consumers.listen = "127.0.0.1:0";
    Result<net::NodeDriver::Options> options = net::MakeDriverOptions(node);
    ASSERT_TRUE(options.ok()) << options.status().ToString();
    driver_ = std::make_unique<net::NodeDriver>(io_, std::move(options).value());
    pools_ = std::make_unique<net::PoolService>(io_, *driver_, 1, 0);
    if (with_port) {
      Result<net::ConsumerServer::Options> o = net::MakeConsumerOptions(node);
      ASSERT_TRUE(o.ok()) << o.status().ToString();
      consumers_ = std::make_unique<net::ConsumerServer>(io_, *driver_, std::move(o).value());
      consumers_->Attach();
      ASSERT_TRUE(consumers_->Start().ok());
    }
    commands_ = std::make_unique<ControlCommands>(
        io_, *driver_, *pools_,
        [this] {
          std::optional<ConsumerMetrics> m;
          if (consumers_) m = ReadConsumerMetrics(*consumers_);
          return FormatMetrics(driver_->node().status(), driver_->node().counters(),
                               driver_->link_counters(), ControlCounters{}, TlsMode::kInsecure, {},
                               m ? &*m : nullptr);
        },
        consumers_.get());
    ControlOptions control;
    control.socket = fmt::format("/tmp/hasync-consumer-commands-test-{}.sock", getpid());
    server_ = std::make_unique<ControlServer>(
        io_, control, [this](std::string_view line, ControlServer::Reply reply) {
          commands_->Handle(line, std::move(reply));
        });
    ASSERT_TRUE(server_->Start().ok());
    ASSERT_TRUE(driver_->Start().ok());
    thread_ = std::thread([this] { io_.run(); });
    socket_.connect(stream_protocol::endpoint(control.socket));
    auto deadline = std::chrono::steady_clock::now() + 5s;
    while (Call({{"cmd", "status"}})["role"] != "active") {
      ASSERT_LT(std::chrono::steady_clock::now(), deadline) << "the node did not become active";
      std::this_thread::sleep_for(5ms);
    }
    // A subscription names a table the node holds (a consumer may not create tables).
    ASSERT_EQ(Call({{"cmd", "put"}, {"table", "nat"}, {"key", "k"}, {"value", "v"}})["ok"], true);
  }

  void TearDown() override {
    if (!thread_.joinable()) return;
    socket_.close();
    asio::post(io_, [this] {
      server_->Stop();
      if (consumers_) consumers_->Stop();
      driver_->Shutdown(0ms, [this] { io_.stop(); });
    });
    thread_.join();
    server_.reset();
    commands_.reset();
    consumers_.reset();
    pools_.reset();
    driver_.reset();
  }

  json Call(const json& request) {
    asio::write(socket_, asio::buffer(request.dump() + "\n"));
    asio::error_code ec;
    size_t n = asio::read_until(socket_, asio::dynamic_buffer(buffer_), '\n', ec);
    EXPECT_FALSE(ec) << ec.message();
    if (ec) return json();
    json answer = json::parse(buffer_.substr(0, n), nullptr, false);
    buffer_.erase(0, n);
    return answer;
  }

  asio::io_context io_;
  std::unique_ptr<net::NodeDriver> driver_;
  std::unique_ptr<net::PoolService> pools_;
  std::unique_ptr<net::ConsumerServer> consumers_;
  std::unique_ptr<ControlCommands> commands_;
  std::unique_ptr<ControlServer> server_;
  std::thread thread_;
  asio::io_context client_io_;
  stream_protocol::socket socket_{client_io_};
  std::string buffer_;
};

TEST_F(ConsumerCommandsTest, ListsASubscribedChannel) {
  ASSERT_NO_FATAL_FAILURE(Start(true));
  json empty = Call({{"cmd", "consumers"}, {"id", 3}});
  ASSERT_EQ(empty["ok"], true) << empty;
  EXPECT_EQ(empty["id"], 3);
  EXPECT_EQ(empty["channels"], json::array());
  EXPECT_EQ(empty["ack_mode"], "forwarded");
  EXPECT_EQ(empty["counters"]["ops"], 0);

  testing::RawConsumer raw(consumers_->local_endpoint().port());
  raw.Send(testing::Subscribe("nat", "lc-1"));
  std::optional<wire::ConsumerWelcome> welcome = raw.Welcome();
  ASSERT_TRUE(welcome.has_value());
  ASSERT_EQ(welcome->status, wire::WelcomeStatus::kOk) << welcome->text;
  json r = Call({{"cmd", "consumers"}});
  ASSERT_EQ(r["channels"].size(), 1u) << r;
  const json& c = r["channels"][0];
  EXPECT_EQ(c["channel"], welcome->channel);
  EXPECT_EQ(c["name"], "lc-1");
  EXPECT_EQ(c["table"], "nat");
  EXPECT_EQ(c["prefix"], "");
  for (const char* field : {"phase", "sent_op", "acked_op", "pending_ops", "replays", "last_replay",
                            "last_replay_records"}) {
    EXPECT_TRUE(c.contains(field)) << field << " " << c;
  }
  EXPECT_EQ(r["connections"], 1);
  EXPECT_EQ(r["counters"]["connections"], 1);
  EXPECT_TRUE(r["counters"]["replays"].contains("full"));
}

TEST_F(ConsumerCommandsTest, StatusAndMetricsSummariseTheConsumers) {
  ASSERT_NO_FATAL_FAILURE(Start(true));
  testing::RawConsumer raw(consumers_->local_endpoint().port());
  raw.Send(testing::Subscribe("nat", "lc-1"));
  ASSERT_TRUE(raw.Welcome().has_value());
  json s = Call({{"cmd", "status"}});
  ASSERT_TRUE(s.contains("consumers")) << s;
  EXPECT_EQ(s["consumers"]["channels"], 1);
  EXPECT_EQ(s["consumers"]["connections"], 1);
  EXPECT_EQ(s["consumers"]["listen"],
            "127.0.0.1:" + std::to_string(consumers_->local_endpoint().port()));
  EXPECT_EQ(s["consumers"]["away"].get<int>() + s["consumers"]["live"].get<int>() +
                s["consumers"]["replaying"].get<int>() + s["consumers"]["behind"].get<int>(),
            1);
  std::string text = Call({{"cmd", "metrics"}})["text"];
  EXPECT_NE(text.find("\nhasync_consumer_connections 1\n"), std::string::npos) << text;
  EXPECT_NE(text.find("\nhasync_consumer_connections_accepted_total 1\n"), std::string::npos);
}

TEST_F(ConsumerCommandsTest, NodeWithoutAPortSaysSo) {
  ASSERT_NO_FATAL_FAILURE(Start(false));
  json r = Call({{"cmd", "consumers"}});
  EXPECT_EQ(r["ok"], false);
  EXPECT_EQ(r["code"], "not_found");
  EXPECT_NE(r["error"].get<std::string>().find("[consumers]"), std::string::npos) << r;
  EXPECT_FALSE(Call({{"cmd", "status"}}).contains("consumers"));
  EXPECT_EQ(Call({{"cmd", "metrics"}})["text"].get<std::string>().find("hasync_consumer_"),
            std::string::npos);
}

TEST(ConsumerJsonTest, AwayChannelSaysForHowLongAndBytesTravelAsBase64) {
  replay::ChannelInfo c;
  c.channel = 5;
  c.table = "nat";
  c.prefix = std::string("\xff\x00", 2);
  c.phase = replay::ChannelPhase::kAway;
  c.away_since = core::TimePoint(std::chrono::seconds(3));
  c.last_replay = replay::ReplayKind::kSections;
  json j = ChannelJson(c, core::TimePoint(std::chrono::milliseconds(4500)));
  EXPECT_EQ(j["away_ms"], 1500);
  EXPECT_EQ(j["prefix_base64"], "/wA=");
  EXPECT_FALSE(j.contains("prefix"));
  EXPECT_EQ(j["last_replay"], "sections");
  c.phase = replay::ChannelPhase::kLive;
  EXPECT_FALSE(ChannelJson(c, core::TimePoint(0)).contains("away_ms"));
}

}  // namespace
}  // namespace hasync::daemon
