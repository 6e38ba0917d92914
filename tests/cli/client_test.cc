// hasyncctl's client against a real ControlServer in-process: the unix socket and the TLS
// endpoint give the same answers; a TLS target is checked before anything is sent.
#include "cli/client.h"

#include <gtest/gtest.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <asio/io_context.hpp>
#include <asio/post.hpp>
#include <thread>

#include "cli/commands.h"
#include "daemon/control_protocol.h"
#include "daemon/control_server.h"
#include "daemon/daemon_test_certs.h"

namespace hasync::cli {
namespace {

using hasync::testing::DaemonTestCert;
using nlohmann::json;

class ClientTest : public ::testing::Test {
 protected:
  void SetUp() override {
    spdlog::set_level(spdlog::level::off);
    daemon::ControlOptions options;
    options.socket = "/tmp/hasync-cli-test-" + std::to_string(getpid()) + ".sock";
    options.tcp_listen = "127.0.0.1:0";
    options.tls_certificate = DaemonTestCert("node1.crt");
    options.tls_private_key = DaemonTestCert("node1.key");
    options.tls_ca = DaemonTestCert("ca.crt");
    options.allowed_clients = {"admin"};
    // Answers status like a node would, enough for hasyncctl's formatting.
    server_ = std::make_unique<daemon::ControlServer>(
        io_, options, [](std::string_view line, daemon::ControlServer::Reply reply) {
          daemon::ParsedRequest p = daemon::ParseRequest(line);
          json r = daemon::OkResponse(p.id);
          r["node_id"] = 1;
          r["role"] = "active";
          reply(daemon::Serialize(r));
        });
    ASSERT_TRUE(server_->Start().ok());
    unix_.control = options.socket;
    tls_.connect = "127.0.0.1:" + std::to_string(server_->tcp_port());
    tls_.certificate = DaemonTestCert("admin.crt");
    tls_.private_key = DaemonTestCert("admin.key");
    tls_.ca = DaemonTestCert("ca.crt");
    tls_.server_name = "node1";
    thread_ = std::thread([this] { io_.run(); });
  }
  void TearDown() override {
    asio::post(io_, [this] { server_->Stop(); });
    io_.stop();
    thread_.join();
  }

  Result<json> Status(const Target& target) {
    Result<Dialer> dialer = Dialer::Make(target);
    if (!dialer.ok()) return dialer.status();
    Result<ControlClient> client = dialer->Connect();
    if (!client.ok()) return client.status();
    return client.value().Call(json{{"cmd", "status"}, {"id", 5}});
  }

  asio::io_context io_;
  std::unique_ptr<daemon::ControlServer> server_;
  std::thread thread_;
  Target unix_;
  Target tls_;
};

TEST_F(ClientTest, UnixSocketAndTlsEndpointAnswerAlike) {
  Result<json> over_unix = Status(unix_);
  Result<json> over_tls = Status(tls_);
  ASSERT_TRUE(over_unix.ok()) << over_unix.status().ToString();
  ASSERT_TRUE(over_tls.ok()) << over_tls.status().ToString();
  EXPECT_EQ(*over_unix, *over_tls);
  EXPECT_EQ((*over_tls)["id"], 5);
}

TEST_F(ClientTest, SeveralRequestsOnOneTlsConnection) {
  Result<Dialer> dialer = Dialer::Make(tls_);
  ASSERT_TRUE(dialer.ok());
  Result<ControlClient> client = dialer->Connect();
  ASSERT_TRUE(client.ok()) << client.status().ToString();
  for (int id = 0; id < 3; ++id) {
    Result<json> answer = client.value().Call(json{{"cmd", "status"}, {"id", id}});
    ASSERT_TRUE(answer.ok()) << answer.status().ToString();
    EXPECT_EQ((*answer)["id"], id);
  }
}

TEST_F(ClientTest, RunCommandWorksOverTls) {
  Invocation in;
  in.target = tls_;
  in.command = "status";
  in.json = true;
  ::testing::internal::CaptureStdout();
  int code = RunCommand(in);
  std::string out = ::testing::internal::GetCapturedStdout();
  EXPECT_EQ(code, kExitOk);
  EXPECT_NE(out.find("\"role\":\"active\""), std::string::npos) << out;
}

TEST_F(ClientTest, DaemonCertificateMustCarryTheServerName) {
  tls_.server_name = "node2";
  Result<json> answer = Status(tls_);
  ASSERT_FALSE(answer.ok());
  EXPECT_NE(answer.status().message().find("hostname mismatch"), std::string::npos)
      << answer.status().message();
}

TEST_F(ClientTest, ClientNotAllowedGetsTheDaemonsReason) {
  tls_.certificate = DaemonTestCert("node2.crt");
  tls_.private_key = DaemonTestCert("node2.key");
  Result<json> answer = Status(tls_);
  ASSERT_TRUE(answer.ok()) << answer.status().ToString();
  EXPECT_EQ((*answer)["code"], "rejected");
}

TEST_F(ClientTest, ClientFromAnotherCaIsToldTheDaemonRefusedIt) {
  tls_.certificate = DaemonTestCert("other-ca/admin.crt");
  tls_.private_key = DaemonTestCert("other-ca/admin.key");
  Result<json> answer = Status(tls_);
  ASSERT_FALSE(answer.ok());
  EXPECT_NE(answer.status().message().find("refused"), std::string::npos)
      << answer.status().message();
}

TEST(DialerTest, TlsTargetNeedsEveryFile) {
  Target target;
  target.connect = "127.0.0.1:7410";
  target.ca = "/etc/hasync/tls/ca.crt";
  Result<Dialer> dialer = Dialer::Make(target);
  ASSERT_FALSE(dialer.ok());
  EXPECT_NE(dialer.status().message().find("--connect needs --cert, --key, --server-name"),
            std::string::npos)
      << dialer.status().message();
  target.certificate = DaemonTestCert("admin.crt");
  target.private_key = DaemonTestCert("node1.key");
  target.ca = DaemonTestCert("ca.crt");
  target.server_name = "node1";
  EXPECT_NE(Dialer::Make(target).status().message().find("does not match"), std::string::npos);
}

TEST(DialerTest, MissingSocketSaysWhere) {
  Target target;
  target.control = "/nonexistent/hasyncd.sock";
  Result<Dialer> dialer = Dialer::Make(target);
  ASSERT_TRUE(dialer.ok());
  Result<ControlClient> client = dialer->Connect();
  ASSERT_FALSE(client.ok());
  EXPECT_EQ(client.status().message(),
            "cannot connect to /nonexistent/hasyncd.sock: No such file or directory");
}

}  // namespace
}  // namespace hasync::cli
