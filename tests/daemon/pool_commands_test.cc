// The pool.* control commands end to end, as hasyncd wires them (daemon.cc): a NodeDriver with
// a PoolService, ControlCommands behind a ControlServer on a unix socket, the io_context on its
// own thread, and requests sent as JSON lines. The node runs alone and becomes active after a
// short startup wait; a configured but unreachable peer leaves it its own share only.
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
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include "daemon/control_commands.h"
#include "daemon/control_protocol.h"
#include "daemon/control_server.h"
#include "daemon/metrics.h"
#include "net/driver_options.h"
#include "net/node_driver.h"
#include "net/pool_service.h"

namespace hasync::daemon {
namespace {

using asio::local::stream_protocol;
using nlohmann::json;
using namespace std::chrono_literals;

PoolOptions Pool(std::string name, std::vector<std::string> ranges) {
  PoolOptions o;
  o.name = std::move(name);
  o.ranges = std::move(ranges);
  o.lease_time = 3600s;
  o.grace = 600s;
  return o;
}

// One hasyncd in this process: what RunDaemon builds, minus the signals, notify scripts and
// metrics server, on the test's io_context.
struct TestDaemon {
  std::unique_ptr<net::NodeDriver> driver;
  std::unique_ptr<net::PoolService> pools;
  std::unique_ptr<ControlCommands> commands;
  std::unique_ptr<ControlServer> server;
  std::string socket;
};

class PoolCommandsTest : public ::testing::Test {
 protected:
  // Not the insecure-mode warning of every test; pool log lines are warnings too.
  void SetUp() override { spdlog::set_level(spdlog::level::err); }

  // Node 1, alone, or with a peer 2 that never answers (a closed port on 127.0.0.1).
  void Start(std::vector<PoolOptions> pools, bool with_peer = false) {
    ReplicaOptions node = Options(1, with_peer ? "127.0.0.1:1" : "");
    node.startup_wait = 20ms;
    ASSERT_NO_FATAL_FAILURE(Build(node, std::move(pools)));
    ASSERT_NO_FATAL_FAILURE(Run());
    auto deadline = std::chrono::steady_clock::now() + 5s;
    while (Call({{"cmd", "status"}})["role"] != "active") {
      ASSERT_LT(std::chrono::steady_clock::now(), deadline) << "the node did not become active";
      std::this_thread::sleep_for(5ms);
    }
  }

  // Node 1 active (higher priority; it dials), node 2 its standby, both with `pools`; until
  // node 1 reports its standby in sync. Call(request, 1) asks node 2.
  void StartPair(const std::vector<PoolOptions>& pools) {
    ReplicaOptions standby = Options(2, "127.0.0.1:1");  // never dialed: the higher id accepts
    standby.priority = 100;
    ASSERT_NO_FATAL_FAILURE(Build(standby, pools));
    uint16_t port = daemons_[0].driver->listen_endpoint().port();
    ReplicaOptions active = Options(1, "127.0.0.1:" + std::to_string(port));
    active.priority = 200;
    ASSERT_NO_FATAL_FAILURE(Build(active, pools));
    std::swap(daemons_[0], daemons_[1]);  // node 1 first: Call's default
    ASSERT_NO_FATAL_FAILURE(Run());
    auto deadline = std::chrono::steady_clock::now() + 10s;
    for (json s = Call({{"cmd", "status"}}); s["role"] != "active" || !s["peer"]["in_sync"];
         s = Call({{"cmd", "status"}})) {
      ASSERT_LT(std::chrono::steady_clock::now(), deadline) << "the pair did not form: " << s;
      std::this_thread::sleep_for(5ms);
    }
  }

  static ReplicaOptions Options(NodeId id, std::string peer) {
    ReplicaOptions node;
    node.node_id = id;
    node.listen = "127.0.0.1:0";
    node.peer = std::move(peer);
    node.startup_wait = 1s;
    node.tls.insecure = true;
    return node;
  }

  void Build(const ReplicaOptions& node, std::vector<PoolOptions> pools) {
    Result<net::NodeDriver::Options> options = net::MakeDriverOptions(node);
    ASSERT_TRUE(options.ok()) << options.status().ToString();
    TestDaemon& d = daemons_.emplace_back();
    d.driver = std::make_unique<net::NodeDriver>(io_, std::move(options).value());
    d.pools = std::make_unique<net::PoolService>(
        io_, *d.driver, node.node_id, node.peer.empty() ? 0 : net::EffectivePeerId(node));
    for (PoolOptions& pool : pools) ASSERT_TRUE(d.pools->Add(std::move(pool)).ok());
    d.commands = std::make_unique<ControlCommands>(io_, *d.driver, *d.pools, [&d] {
      std::vector<PoolMetrics> metrics;
      for (const auto& p : d.pools->pools()) {
        metrics.push_back({p->options().name, *d.pools->Usage(p->options().name), p->counters()});
      }
      return FormatMetrics(d.driver->node().status(), d.driver->node().counters(),
                           d.driver->link_counters(), ControlCounters{}, TlsMode::kInsecure,
                           metrics);
    });
    ControlOptions control;
    d.socket = fmt::format("/tmp/hasync-pool-commands-test-{}-{}.sock", getpid(), node.node_id);
    control.socket = d.socket;
    d.server = std::make_unique<ControlServer>(
        io_, control,
        [commands = d.commands.get()](std::string_view line, ControlServer::Reply reply) {
          commands->Handle(line, std::move(reply));
        });
    ASSERT_TRUE(d.server->Start().ok());
    ASSERT_TRUE(d.driver->Start().ok());
    d.pools->Start();
  }

  // The io thread, and a client connection to every node.
  void Run() {
    thread_ = std::thread([this] { io_.run(); });
    for (const TestDaemon& d : daemons_) {
      stream_protocol::socket& s = sockets_.emplace_back(client_io_);
      s.connect(stream_protocol::endpoint(d.socket));
      buffers_.emplace_back();
    }
  }

  void TearDown() override {
    sockets_.clear();
    if (thread_.joinable()) {
      asio::post(io_, [this] {
        auto left = std::make_shared<size_t>(daemons_.size());
        for (TestDaemon& d : daemons_) {
          d.server->Stop();
          d.driver->Shutdown(0ms, [this, left] {
            if (--*left == 0) io_.stop();
          });
        }
      });
      thread_.join();
    }
    // Destroyed in the daemon's order: what refers to the driver before the driver.
    for (TestDaemon& d : daemons_) {
      d.server.reset();
      d.commands.reset();
      d.pools.reset();
      d.driver.reset();
    }
  }

  json Call(const json& request, size_t node = 0) {
    asio::write(sockets_[node], asio::buffer(request.dump() + "\n"));
    asio::error_code ec;
    std::string& buffer = buffers_[node];
    size_t n = asio::read_until(sockets_[node], asio::dynamic_buffer(buffer), '\n', ec);
    EXPECT_FALSE(ec) << ec.message();
    if (ec) return json();
    json answer = json::parse(buffer.substr(0, n), nullptr, false);
    buffer.erase(0, n);
    return answer;
  }

  json Alloc(const std::string& client, const std::string& pool = "lan", size_t node = 0) {
    return Call({{"cmd", "pool.alloc"}, {"pool", pool}, {"client", client}}, node);
  }

  asio::io_context io_;
  std::deque<TestDaemon> daemons_;  // a deque: the commands' metrics lambdas hold references
  std::thread thread_;
  asio::io_context client_io_;
  std::deque<stream_protocol::socket> sockets_;
  std::vector<std::string> buffers_;
};

TEST_F(PoolCommandsTest, AllocOnASingleNodeReturnsAnAddress) {
  Start({Pool("lan", {"10.0.0.0/30"})});
  json r =
      Call({{"cmd", "pool.alloc"}, {"pool", "lan"}, {"client", "aa:bb:cc:00:00:01"}, {"id", 4}});
  ASSERT_EQ(r["ok"], true) << r;
  EXPECT_EQ(r["id"], 4);
  EXPECT_EQ(r["pool"], "lan");
  const json& lease = r["lease"];
  EXPECT_EQ(lease["address"], "10.0.0.0");
  EXPECT_EQ(lease["client"], "aa:bb:cc:00:00:01");
  EXPECT_EQ(lease["state"], "leased");
  EXPECT_EQ(lease["own_share"], true) << "a node without a peer owns the whole pool";
  EXPECT_EQ(lease["extended"], false);
  EXPECT_EQ(lease["expires_ms"].get<uint64_t>() - lease["granted_ms"].get<uint64_t>(), 3600000u);
  uint64_t now = r["now_ms"].get<uint64_t>();
  EXPECT_GE(now, lease["granted_ms"].get<uint64_t>());
  // The same client again: the same address, extended.
  json again = Alloc("aa:bb:cc:00:00:01");
  EXPECT_EQ(again["lease"]["address"], "10.0.0.0");
  EXPECT_EQ(again["lease"]["extended"], true);
  EXPECT_EQ(Alloc("aa:bb:cc:00:00:02")["lease"]["address"], "10.0.0.1");
}

TEST_F(PoolCommandsTest, ShowListRenewRelease) {
  Start({Pool("lan", {"10.0.0.0/29"})});
  for (const char* client : {"c1", "c2", "c3"}) ASSERT_EQ(Alloc(client)["ok"], true);

  json by_client = Call({{"cmd", "pool.show"}, {"pool", "lan"}, {"client", "c2"}});
  ASSERT_EQ(by_client["ok"], true) << by_client;
  EXPECT_EQ(by_client["lease"]["address"], "10.0.0.1");
  json by_address = Call({{"cmd", "pool.show"}, {"pool", "lan"}, {"address", "10.0.0.2"}});
  EXPECT_EQ(by_address["lease"]["client"], "c3");
  json free = Call({{"cmd", "pool.show"}, {"pool", "lan"}, {"address", "10.0.0.7"}});
  EXPECT_EQ(free["code"], "not_found") << free;
  json outside = Call({{"cmd", "pool.show"}, {"pool", "lan"}, {"address", "10.0.1.1"}});
  EXPECT_EQ(outside["code"], "invalid_argument") << outside;
  EXPECT_EQ(Call({{"cmd", "pool.show"}, {"pool", "lan"}, {"client", "nobody"}})["code"],
            "not_found");

  json list = Call({{"cmd", "pool.list"}, {"pool", "lan"}});
  ASSERT_EQ(list["ok"], true) << list;
  ASSERT_EQ(list["leases"].size(), 3u);
  EXPECT_EQ(list["leases"][0]["address"], "10.0.0.0");
  EXPECT_EQ(list["leases"][2]["client"], "c3");
  EXPECT_FALSE(list.contains("next"));
  json page = Call({{"cmd", "pool.list"}, {"pool", "lan"}, {"limit", 2}});
  ASSERT_EQ(page["leases"].size(), 2u);
  EXPECT_EQ(page["next"], "10.0.0.2");
  json rest = Call({{"cmd", "pool.list"}, {"pool", "lan"}, {"from", page["next"]}});
  ASSERT_EQ(rest["leases"].size(), 1u);
  EXPECT_EQ(rest["leases"][0]["client"], "c3");
  json typo = Call({{"cmd", "pool.list"}, {"pool", "lan"}, {"from", "10.0.0.300"}});
  EXPECT_EQ(typo["code"], "invalid_argument") << typo;

  json renewed =
      Call({{"cmd", "pool.renew"}, {"pool", "lan"}, {"client", "c1"}, {"address", "10.0.0.0"}});
  ASSERT_EQ(renewed["ok"], true) << renewed;
  EXPECT_EQ(renewed["lease"]["extended"], true);
  EXPECT_EQ(renewed["lease"]["state"], "leased");
  json wrong =
      Call({{"cmd", "pool.renew"}, {"pool", "lan"}, {"client", "c2"}, {"address", "10.0.0.0"}});
  EXPECT_EQ(wrong["code"], "not_found") << wrong;

  json released =
      Call({{"cmd", "pool.release"}, {"pool", "lan"}, {"client", "c1"}, {"address", "10.0.0.0"}});
  ASSERT_EQ(released["ok"], true) << released;
  EXPECT_EQ(released["lease"]["state"], "released");
  // Reserved for the grace period, from the release (now_ms is read just after it).
  uint64_t grace_end = released["lease"]["expires_ms"].get<uint64_t>();
  uint64_t now = released["now_ms"].get<uint64_t>();
  EXPECT_LE(grace_end, now + 600000u);
  EXPECT_GT(grace_end, now + 590000u);
  json twice =
      Call({{"cmd", "pool.release"}, {"pool", "lan"}, {"client", "c1"}, {"address", "10.0.0.0"}});
  EXPECT_EQ(twice["code"], "not_found") << twice;

  json usage = Call({{"cmd", "pool.show"}, {"pool", "lan"}});
  ASSERT_EQ(usage["ok"], true) << usage;
  const json& u = usage["usage"];
  EXPECT_EQ(u["size"], 8);
  EXPECT_EQ(u["leased"], 2);
  EXPECT_EQ(u["reserved"], 1);
  EXPECT_EQ(u["free"], 5);
  EXPECT_EQ(u["own_share_size"], 8);
  EXPECT_EQ(u["own_share_free"], 5);
  EXPECT_EQ(u["outside"], 0);
  EXPECT_EQ(u["scope"], "whole-pool");
  EXPECT_EQ(u["partner_down"], false);
  EXPECT_EQ(u["duplicates"], 0);
  EXPECT_EQ(u["share"], "odd-even");
  EXPECT_EQ(u["lease_time_s"], 3600);
  EXPECT_EQ(u["grace_s"], 600);
  EXPECT_EQ(u["durability"], "replicated");
  const json& c = usage["counters"];
  EXPECT_EQ(c["allocated"], 3);
  EXPECT_EQ(c["renewed"], 1);
  EXPECT_EQ(c["released"], 1);
  EXPECT_EQ(c["refused"], 2);
  EXPECT_EQ(c["exhausted"], 0);
}

TEST_F(PoolCommandsTest, ReleasedAddressComesBackToItsClient) {
  Start({Pool("lan", {"10.0.0.1-10.0.0.2"})});
  ASSERT_EQ(Alloc("c1")["lease"]["address"], "10.0.0.1");
  ASSERT_EQ(Call({{"cmd", "pool.release"},
                  {"pool", "lan"},
                  {"client", "c1"},
                  {"address", "10.0.0.1"}})["ok"],
            true);
  EXPECT_EQ(Alloc("c2")["lease"]["address"], "10.0.0.2") << "10.0.0.1 is reserved for c1";
  EXPECT_EQ(Alloc("c1")["lease"]["address"], "10.0.0.1");
}

TEST_F(PoolCommandsTest, ExhaustedPoolAnswersExhausted) {
  Start({Pool("tiny", {"192.0.2.10-192.0.2.11"})});
  ASSERT_EQ(Alloc("c1", "tiny")["ok"], true);
  ASSERT_EQ(Alloc("c2", "tiny")["ok"], true);
  json r = Alloc("c3", "tiny");
  EXPECT_EQ(r["ok"], false);
  EXPECT_EQ(r["code"], "exhausted") << r;
  EXPECT_NE(r["error"].get<std::string>().find("all 2 addresses are held"), std::string::npos) << r;
  EXPECT_EQ(Alloc("c1", "tiny")["ok"], true) << "a client that holds an address keeps it";
  json usage = Call({{"cmd", "pool.show"}, {"pool", "tiny"}});
  EXPECT_EQ(usage["usage"]["free"], 0);
  EXPECT_EQ(usage["counters"]["exhausted"], 1);
}

TEST_F(PoolCommandsTest, UnknownPoolIsNotFound) {
  Start({Pool("lan", {"10.0.0.0/30"})});
  for (const json& request :
       {json{{"cmd", "pool.alloc"}, {"pool", "wan"}, {"client", "c"}},
        json{{"cmd", "pool.renew"}, {"pool", "wan"}, {"client", "c"}, {"address", "10.0.0.1"}},
        json{{"cmd", "pool.release"}, {"pool", "wan"}, {"client", "c"}, {"address", "10.0.0.1"}},
        json{{"cmd", "pool.show"}, {"pool", "wan"}},
        json{{"cmd", "pool.show"}, {"pool", "wan"}, {"client", "c"}},
        json{{"cmd", "pool.list"}, {"pool", "wan"}}}) {
    json r = Call(request);
    EXPECT_EQ(r["code"], "not_found") << request << " -> " << r;
    EXPECT_EQ(r["error"], "no pool called wan") << r;
  }
}

TEST_F(PoolCommandsTest, BadClientIdIsInvalid) {
  Start({Pool("lan", {"10.0.0.0/30"})});
  EXPECT_EQ(Alloc(std::string(256, 'x'))["code"], "invalid_argument");
  EXPECT_EQ(Alloc("tab\there")["code"], "invalid_argument");
}

TEST_F(PoolCommandsTest, WithAnUnreachablePeerOnlyTheOwnShareUntilPartnerDown) {
  Start({Pool("lan", {"10.0.0.0/30"})}, /*with_peer=*/true);
  // Node 1 has the lower id: it owns the even ordinals, 10.0.0.0 and 10.0.0.2.
  EXPECT_EQ(Alloc("c1")["lease"]["address"], "10.0.0.0");
  EXPECT_EQ(Alloc("c2")["lease"]["address"], "10.0.0.2");
  json refused = Alloc("c3");
  EXPECT_EQ(refused["code"], "exhausted") << refused;
  EXPECT_NE(refused["error"].get<std::string>().find("partner-down"), std::string::npos);
  json before = Call({{"cmd", "pool.show"}, {"pool", "lan"}});
  EXPECT_EQ(before["usage"]["scope"], "own-share");
  EXPECT_EQ(before["usage"]["own_share_size"], 2);

  json declared = Call({{"cmd", "pool.partner_down"}});
  ASSERT_EQ(declared["ok"], true) << declared;
  ASSERT_EQ(declared["pools"].size(), 1u);
  EXPECT_EQ(declared["pools"][0]["scope"], "whole-pool");
  json granted = Alloc("c3");
  ASSERT_EQ(granted["ok"], true) << granted;
  EXPECT_EQ(granted["lease"]["own_share"], false);
  json after = Call({{"cmd", "pool.show"}, {"pool", "lan"}});
  EXPECT_EQ(after["usage"]["partner_down"], true);
  EXPECT_EQ(after["usage"]["scope"], "whole-pool");
  EXPECT_EQ(after["counters"]["partner_down"], 1);
}

TEST_F(PoolCommandsTest, PartnerDownWithoutAPeerIsRefused) {
  Start({Pool("lan", {"10.0.0.0/30"})});
  json r = Call({{"cmd", "pool.partner_down"}});
  EXPECT_EQ(r["code"], "invalid_argument") << r;
}

TEST_F(PoolCommandsTest, PartnerDownWithoutPoolsIsNotFound) {
  Start({});
  EXPECT_EQ(Call({{"cmd", "pool.partner_down"}})["code"], "not_found");
}

TEST_F(PoolCommandsTest, StatusListsThePools) {
  Start({Pool("lan", {"10.0.0.0/30"}), Pool("v6", {"2001:db8::/126"})});
  ASSERT_EQ(Alloc("c1")["ok"], true);
  json status = Call({{"cmd", "status"}});
  ASSERT_EQ(status["pools"].size(), 2u) << status;
  EXPECT_EQ(status["pools"][0],
            (json{{"name", "lan"}, {"scope", "whole-pool"}, {"leased", 1}, {"free", 3}}));
  EXPECT_EQ(status["pools"][1]["name"], "v6");
  EXPECT_EQ(Alloc("c1", "v6")["lease"]["address"], "2001:db8::");
}

TEST_F(PoolCommandsTest, StatusWithoutPoolsHasAnEmptyList) {
  Start({});
  json status = Call({{"cmd", "status"}});
  EXPECT_EQ(status["pools"], json::array());
}

TEST_F(PoolCommandsTest, MetricsCommandHasThePoolSeries) {
  Start({Pool("lan", {"10.0.0.0/30"})});
  ASSERT_EQ(Alloc("c1")["ok"], true);
  std::string text = Call({{"cmd", "metrics"}})["text"];
  EXPECT_NE(text.find("\nhasync_pool_addresses{pool=\"lan\"} 4\n"), std::string::npos) << text;
  EXPECT_NE(text.find("\nhasync_pool_leased{pool=\"lan\"} 1\n"), std::string::npos);
  EXPECT_NE(text.find("\nhasync_pool_scope{pool=\"lan\"} 3\n"), std::string::npos);
  EXPECT_NE(text.find("\nhasync_pool_allocations_total{pool=\"lan\"} 1\n"), std::string::npos);
}

TEST_F(PoolCommandsTest, ReplicatedLeasesAreOnTheStandbyWhenAnswered) {
  StartPair({Pool("lan", {"10.0.0.0/30"})});
  // Node 1 owns the even ordinals; with its standby in sync it allocates from the whole pool,
  // its own share first. Every answer comes once the standby acknowledged the lease (replicated
  // durability; the peer's share always), so the standby shows it at once.
  for (auto [client, address, own] :
       {std::tuple{"c1", "10.0.0.0", true}, std::tuple{"c2", "10.0.0.2", true},
        std::tuple{"c3", "10.0.0.1", false}, std::tuple{"c4", "10.0.0.3", false}}) {
    json granted = Alloc(client);
    ASSERT_EQ(granted["ok"], true) << granted;
    EXPECT_EQ(granted["lease"]["address"], address);
    EXPECT_EQ(granted["lease"]["own_share"], own);
    json on_standby = Call({{"cmd", "pool.show"}, {"pool", "lan"}, {"client", client}}, 1);
    ASSERT_EQ(on_standby["ok"], true) << on_standby;
    EXPECT_EQ(on_standby["lease"]["address"], address);
    EXPECT_EQ(on_standby["lease"]["own_share"], !own) << "node 2's view of the shares";
  }
  EXPECT_EQ(Alloc("c5")["code"], "exhausted");
  json standby = Call({{"cmd", "status"}}, 1);
  EXPECT_EQ(standby["pools"][0],
            (json{{"name", "lan"}, {"scope", "none"}, {"leased", 4}, {"free", 0}}));
  EXPECT_EQ(Alloc("c1", "lan", 1)["code"], "not_active");
  EXPECT_EQ(Call({{"cmd", "pool.partner_down"}})["code"], "unavailable") << "the peer is connected";
}

}  // namespace
}  // namespace hasync::daemon
