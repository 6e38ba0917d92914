// The TCP control endpoint: TLS 1.3 with client certificates, allowed_clients, and the bounds
// that apply before a client has authenticated (connections per second, handshakes at once).
#include <gtest/gtest.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <asio/connect.hpp>
#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/local/stream_protocol.hpp>
#include <asio/post.hpp>
#include <asio/read_until.hpp>
#include <asio/ssl/stream.hpp>
#include <asio/write.hpp>
#include <future>
#include <thread>
#include <vector>

#include "daemon/control_protocol.h"
#include "daemon/control_server.h"
#include "daemon/daemon_test_certs.h"
#include "tls/context.h"

namespace hasync::daemon {
namespace {

using asio::ip::tcp;
using hasync::testing::DaemonTestCert;

std::shared_ptr<asio::ssl::context> ClientContext(const std::string& dir_prefix,
                                                  const std::string& name) {
  Result<std::shared_ptr<asio::ssl::context>> context = tls::MakeCertificateContext(
      {DaemonTestCert(dir_prefix + name + ".crt"), DaemonTestCert(dir_prefix + name + ".key"),
       DaemonTestCert("ca.crt")});
  EXPECT_TRUE(context.ok()) << context.status().ToString();
  return context.ok() ? context.value() : nullptr;
}

// A client that verifies the daemon but presents no certificate.
std::shared_ptr<asio::ssl::context> AnonymousContext() {
  auto context = std::make_shared<asio::ssl::context>(asio::ssl::context::tls_client);
  context->set_options(asio::ssl::context::no_tlsv1 | asio::ssl::context::no_tlsv1_1 |
                       asio::ssl::context::no_tlsv1_2);
  context->load_verify_file(DaemonTestCert("ca.crt"));
  context->set_verify_mode(asio::ssl::verify_peer);
  return context;
}

// One request, as hasyncctl makes it: the answer line, or which step failed and why.
std::string TlsRequest(uint16_t port, asio::ssl::context& context, const std::string& line) {
  asio::io_context io;
  asio::ssl::stream<tcp::socket> stream(io, context);
  asio::error_code ec;
  stream.lowest_layer().connect({asio::ip::make_address("127.0.0.1"), port}, ec);
  if (ec) return "connect: " + ec.message();
  tls::ExpectPeerName(stream.native_handle(), "node1");
  stream.handshake(asio::ssl::stream_base::client, ec);
  if (ec) return "handshake: " + ec.message();
  asio::write(stream, asio::buffer(line + "\n"), ec);
  if (ec) return "write: " + ec.message();
  std::string buffer;
  size_t n = asio::read_until(stream, asio::dynamic_buffer(buffer), '\n', ec);
  if (ec) return "read: " + ec.message();
  return buffer.substr(0, n - 1);
}

bool Ok(const std::string& answer) {
  auto json = nlohmann::json::parse(answer, nullptr, false);
  return !json.is_discarded() && json.value("ok", false);
}

class ControlTlsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    spdlog::set_level(spdlog::level::off);  // refusals are logged by design
    options_.socket = "/tmp/hasync-control-tls-test-" + std::to_string(getpid()) + ".sock";
    options_.tcp_listen = "127.0.0.1:0";
    options_.tls_certificate = DaemonTestCert("node1.crt");
    options_.tls_private_key = DaemonTestCert("node1.key");
    options_.tls_ca = DaemonTestCert("ca.crt");
  }
  void Start() {
    server_ = std::make_unique<ControlServer>(
        io_, options_, [](std::string_view line, ControlServer::Reply reply) {
          ParsedRequest p = ParseRequest(line);
          reply(Serialize(p.error.ok() ? OkResponse(p.id) : ErrorResponse(p.id, p.error)));
        });
    Status started = server_->Start();
    ASSERT_TRUE(started.ok()) << started.ToString();
    port_ = server_->tcp_port();
    ASSERT_NE(port_, 0);
    thread_ = std::thread([this] { io_.run(); });
  }
  void TearDown() override {
    spdlog::set_level(spdlog::level::warn);
    if (!thread_.joinable()) return;
    asio::post(io_, [this] { server_->Stop(); });
    io_.stop();
    thread_.join();
  }
  ControlCounters Counters() {
    std::promise<ControlCounters> counters;
    asio::post(io_, [&] { counters.set_value(server_->counters()); });
    return counters.get_future().get();
  }
  // The counters once `done` holds for them (the server may count a refusal just after the
  // client saw it), or as they are after a second.
  template <typename Done>
  ControlCounters CountersOnce(Done done) {
    ControlCounters counters = Counters();
    for (int i = 0; i < 200 && !done(counters); ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
      counters = Counters();
    }
    return counters;
  }
  ControlCounters CountersOnceTlsFailed() {
    return CountersOnce([](const ControlCounters& c) { return c.tls_failed > 0; });
  }
  std::string Request(asio::ssl::context& context) {
    return TlsRequest(port_, context, R"({"cmd":"status","id":1})");
  }

  asio::io_context io_;
  ControlOptions options_;
  std::unique_ptr<ControlServer> server_;
  std::thread thread_;
  uint16_t port_ = 0;
};

TEST_F(ControlTlsTest, ClientCertificateSignedByTheCaIsServed) {
  Start();
  std::string answer = Request(*ClientContext("", "admin"));
  EXPECT_TRUE(Ok(answer)) << answer;
  EXPECT_EQ(Counters().accepted, 1u);
}

TEST_F(ControlTlsTest, ClientWithoutCertificateIsRefused) {
  Start();
  // TLS 1.3: the client's handshake ends before the server checks it; the refusal is an alert.
  std::string answer = Request(*AnonymousContext());
  EXPECT_FALSE(Ok(answer)) << answer;
  EXPECT_EQ(answer.rfind("read: ", 0), 0u) << answer;
  ControlCounters counters = CountersOnceTlsFailed();
  EXPECT_EQ(counters.tls_failed, 1u);
  EXPECT_EQ(counters.accepted, 0u);
}

TEST_F(ControlTlsTest, CertificateFromAnotherCaIsRefused) {
  Start();
  std::string answer = Request(*ClientContext("other-ca/", "admin"));
  EXPECT_FALSE(Ok(answer)) << answer;
  EXPECT_EQ(CountersOnceTlsFailed().tls_failed, 1u);
}

TEST_F(ControlTlsTest, PlainTextOnTheTlsPortIsRefused) {
  Start();
  asio::io_context io;
  tcp::socket socket(io);
  socket.connect({asio::ip::make_address("127.0.0.1"), port_});
  asio::write(socket, asio::buffer(std::string("{\"cmd\":\"status\"}\n")));
  std::string buffer;
  asio::error_code ec;
  asio::read_until(socket, asio::dynamic_buffer(buffer), '\n', ec);
  EXPECT_TRUE(ec) << "no JSON answer in plain text: " << buffer;
  EXPECT_EQ(CountersOnceTlsFailed().tls_failed, 1u);
}

TEST_F(ControlTlsTest, NameNotInAllowedClientsIsRefusedWithAReason) {
  options_.allowed_clients = {"admin", "monitor"};
  Start();
  auto answer = nlohmann::json::parse(Request(*ClientContext("", "node2")), nullptr, false);
  EXPECT_EQ(answer.value("code", ""), "rejected") << answer;
  EXPECT_NE(answer.value("error", "").find("CN=node2"), std::string::npos) << answer;
  EXPECT_TRUE(Ok(Request(*ClientContext("", "admin"))));
  ControlCounters counters = Counters();
  EXPECT_EQ(counters.not_allowed, 1u);
  EXPECT_EQ(counters.accepted, 1u);
}

TEST_F(ControlTlsTest, TlsClientsShareTheConnectionLimitWithTheUnixSocket) {
  options_.max_connections = 1;
  Start();
  asio::io_context io;
  asio::local::stream_protocol::socket local(io);
  local.connect(asio::local::stream_protocol::endpoint(options_.socket));
  asio::write(local, asio::buffer(std::string("{\"cmd\":\"status\"}\n")));
  std::string buffer;
  asio::read_until(local, asio::dynamic_buffer(buffer), '\n');  // the slot is taken
  auto answer = nlohmann::json::parse(Request(*ClientContext("", "admin")), nullptr, false);
  EXPECT_EQ(answer.value("code", ""), "unavailable") << answer;
  EXPECT_EQ(Counters().refused_limit, 1u);
}

TEST_F(ControlTlsTest, FloodOfConnectionsIsBoundedBeforeAnyTlsWorkAndTheEndpointRecovers) {
  Start();
  asio::io_context io;
  std::vector<tcp::socket> flood;
  constexpr size_t kFlood = ControlServer::kTcpConnectionsPerSecond + 50;
  for (size_t i = 0; i < kFlood; ++i) {
    flood.emplace_back(io);
    flood.back().connect({asio::ip::make_address("127.0.0.1"), port_});
  }
  // Every one was accepted by the kernel; the server refuses all but kMaxPendingHandshakes
  // (they start no handshake) by rate or by the handshake bound.
  ControlCounters counters = CountersOnce([&](const ControlCounters& c) {
    return c.refused_rate + c.refused_limit + ControlServer::kMaxPendingHandshakes >= kFlood;
  });
  EXPECT_GE(counters.refused_rate, 1u);
  EXPECT_GE(counters.refused_limit, 1u);
  EXPECT_EQ(counters.refused_rate + counters.refused_limit,
            kFlood - ControlServer::kMaxPendingHandshakes);
  flood.clear();  // the pending ones end: their handshakes fail
  std::string answer;
  for (int i = 0; i < 100 && !Ok(answer); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));  // the bucket refills
    answer = Request(*ClientContext("", "admin"));
  }
  EXPECT_TRUE(Ok(answer)) << answer;
}

TEST_F(ControlTlsTest, UnusableCertificatesStopTheStart) {
  options_.tls_private_key = DaemonTestCert("node2.key");
  ControlServer server(io_, options_, [](std::string_view, ControlServer::Reply) {});
  Status started = server.Start();
  EXPECT_FALSE(started.ok());
  EXPECT_NE(started.message().find("does not match"), std::string::npos) << started.message();
  EXPECT_NE(access(options_.socket.c_str(), F_OK), 0) << "the unix socket is removed again";
}

}  // namespace
}  // namespace hasync::daemon
