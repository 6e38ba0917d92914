// The control socket's framing and bounds, with a stand-in handler: ordering, bad input, the
// socket file's mode and owner, the connection limit. control_tls_test.cc covers the TCP
// endpoint.
#include "daemon/control_server.h"

#include <grp.h>
#include <gtest/gtest.h>
#include <pwd.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <unistd.h>

#include <asio/io_context.hpp>
#include <asio/local/stream_protocol.hpp>
#include <asio/post.hpp>
#include <asio/read_until.hpp>
#include <asio/write.hpp>
#include <future>
#include <thread>

#include "daemon/control_protocol.h"

namespace hasync::daemon {
namespace {

using asio::local::stream_protocol;

// Answers every request with ok (echoing its id) or the parse error.
void Echo(std::string_view line, ControlServer::Reply reply) {
  ParsedRequest p = ParseRequest(line);
  reply(Serialize(p.error.ok() ? OkResponse(p.id) : ErrorResponse(p.id, p.error)));
}

class ControlServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    spdlog::set_level(spdlog::level::warn);
    options_.socket = "/tmp/hasync-control-test-" + std::to_string(getpid()) + ".sock";
  }
  void Start(ControlServer::Handler handler = Echo) {
    server_ = std::make_unique<ControlServer>(io_, options_, std::move(handler));
    ASSERT_TRUE(server_->Start().ok());
    thread_ = std::thread([this] { io_.run(); });
  }
  void TearDown() override {
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
  stream_protocol::socket Connect() {
    stream_protocol::socket s(client_io_);
    s.connect(stream_protocol::endpoint(options_.socket));
    return s;
  }

  asio::io_context io_;
  asio::io_context client_io_;
  ControlOptions options_;
  std::unique_ptr<ControlServer> server_;
  std::thread thread_;
};

std::string ReadLine(stream_protocol::socket& socket, std::string& buffer, asio::error_code& ec) {
  size_t n = asio::read_until(socket, asio::dynamic_buffer(buffer), '\n', ec);
  if (ec) return "";
  std::string line = buffer.substr(0, n);
  buffer.erase(0, n);
  return line;
}

nlohmann::json Call(stream_protocol::socket& s, const std::string& line) {
  asio::write(s, asio::buffer(line + "\n"));
  std::string buffer;
  asio::error_code ec;
  std::string answer = ReadLine(s, buffer, ec);
  EXPECT_FALSE(ec) << ec.message();
  return nlohmann::json::parse(answer, nullptr, false);
}

TEST_F(ControlServerTest, SocketFileIsPrivate) {
  Start();
  struct stat st;
  ASSERT_EQ(stat(options_.socket.c_str(), &st), 0);
  EXPECT_TRUE(S_ISSOCK(st.st_mode));
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  EXPECT_EQ(st.st_uid, getuid()) << "no owner configured: the daemon's own";
}

TEST_F(ControlServerTest, SocketFileIsHandedToTheConfiguredOwnerAndGroup) {
  // As root, to "nobody" by name and to a numeric group; otherwise to this user, which is
  // always allowed.
  uid_t uid = getuid();
  gid_t gid = getgid();
  if (uid == 0) {
    const passwd* nobody = getpwnam("nobody");
    ASSERT_NE(nobody, nullptr);
    options_.owner = "nobody";
    uid = nobody->pw_uid;
    gid = 12345;
  } else {
    options_.owner = getpwuid(uid)->pw_name;
  }
  options_.group = std::to_string(gid);
  Start();
  struct stat st;
  ASSERT_EQ(stat(options_.socket.c_str(), &st), 0);
  EXPECT_EQ(st.st_uid, uid);
  EXPECT_EQ(st.st_gid, gid);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
}

TEST_F(ControlServerTest, UnknownOwnerIsAnErrorAndLeavesNoSocket) {
  options_.owner = "no-such-user-hasync";
  ControlServer server(io_, options_, Echo);
  Status started = server.Start();
  EXPECT_EQ(started.code(), Code::kInvalidArgument);
  EXPECT_NE(started.message().find("no user named 'no-such-user-hasync'"), std::string::npos)
      << started.message();
  EXPECT_NE(access(options_.socket.c_str(), F_OK), 0);
  options_.owner.clear();
  options_.group = "no-such-group-hasync";
  ControlServer second(io_, options_, Echo);
  EXPECT_NE(second.Start().message().find("no group named 'no-such-group-hasync'"),
            std::string::npos);
}

TEST_F(ControlServerTest, MalformedLineGetsAnErrorAndTheConnectionStaysUsable) {
  Start();
  stream_protocol::socket s = Connect();
  asio::write(s, asio::buffer(std::string("{not json\n{\"cmd\":\"status\",\"id\":2}\n")));
  std::string buffer;
  asio::error_code ec;
  auto first = nlohmann::json::parse(ReadLine(s, buffer, ec));
  EXPECT_EQ(first["ok"], false);
  EXPECT_EQ(first["error"], "malformed JSON");
  auto second = nlohmann::json::parse(ReadLine(s, buffer, ec));
  EXPECT_EQ(second["ok"], true);
  EXPECT_EQ(second["id"], 2);
}

TEST_F(ControlServerTest, PipelinedRequestsAndBlankLinesAreAnsweredInOrder) {
  Start();
  stream_protocol::socket s = Connect();
  std::string requests;
  for (int i = 0; i < 50; ++i)
    requests += fmt::format("\n \t\r\n{{\"cmd\":\"status\",\"id\":{}}}\r\n", i);
  asio::write(s, asio::buffer(requests));
  std::string buffer;
  asio::error_code ec;
  for (int i = 0; i < 50; ++i) {
    auto answer = nlohmann::json::parse(ReadLine(s, buffer, ec));
    EXPECT_EQ(answer["id"], i);
  }
}

TEST_F(ControlServerTest, AMegabyteOfNewlinesIsSkippedCheaply) {
  Start();
  stream_protocol::socket s = Connect();
  asio::write(
      s, asio::buffer(std::string(kMaxRequestBytes, '\n') + "{\"cmd\":\"status\",\"id\":9}\n"));
  std::string buffer;
  asio::error_code ec;
  EXPECT_EQ(nlohmann::json::parse(ReadLine(s, buffer, ec))["id"], 9) << ec.message();
}

TEST_F(ControlServerTest, LineOfExactlyTheBoundIsRead) {
  Start();
  stream_protocol::socket s = Connect();
  std::string line = R"({"cmd":"status","id":1,"pad":")";
  line += std::string(kMaxRequestBytes - line.size() - 2, 'x') + "\"}";
  ASSERT_EQ(line.size(), kMaxRequestBytes);
  EXPECT_EQ(Call(s, line)["ok"], true);
}

TEST_F(ControlServerTest, OverlongLineClosesTheConnection) {
  Start();
  stream_protocol::socket s = Connect();
  std::string huge(kMaxRequestBytes + 10, 'x');
  asio::error_code ec;
  asio::write(s, asio::buffer(huge), ec);  // may fail once the server closes: that is the point
  std::string buffer;
  std::string line = ReadLine(s, buffer, ec);
  ASSERT_FALSE(line.empty()) << ec.message();
  EXPECT_EQ(nlohmann::json::parse(line)["code"], "too_large");
  ReadLine(s, buffer, ec);
  // EOF, or a reset: the server closes with the rest of the line unread.
  EXPECT_TRUE(ec == asio::error::eof || ec == asio::error::connection_reset) << ec.message();
}

TEST_F(ControlServerTest, PartsAreWrittenInOrderBeforeTheNextRequestIsRead) {
  Start([](std::string_view, ControlServer::Reply reply) {
    reply.Part("{\"part\":1}\n",
               [reply] { reply.Part("{\"part\":2}\n", [reply] { reply("{\"part\":3}\n"); }); });
  });
  stream_protocol::socket s = Connect();
  asio::write(s, asio::buffer(std::string("{\"cmd\":\"dump\"}\n{\"cmd\":\"dump\"}\n")));
  std::string buffer;
  asio::error_code ec;
  for (int round = 0; round < 2; ++round) {
    for (int part = 1; part <= 3; ++part) {
      EXPECT_EQ(nlohmann::json::parse(ReadLine(s, buffer, ec))["part"], part);
    }
  }
}

TEST_F(ControlServerTest, ConnectionsPastTheLimitAreRefusedWithAnErrorLine) {
  options_.max_connections = 2;
  Start();
  stream_protocol::socket first = Connect();
  stream_protocol::socket second = Connect();
  EXPECT_EQ(Call(first, R"({"cmd":"status"})")["ok"], true);
  EXPECT_EQ(Call(second, R"({"cmd":"status"})")["ok"], true);
  stream_protocol::socket third = Connect();
  std::string buffer;
  asio::error_code ec;
  nlohmann::json refused = nlohmann::json::parse(ReadLine(third, buffer, ec));
  EXPECT_EQ(refused["code"], "unavailable");
  EXPECT_NE(refused["error"].get<std::string>().find("max_connections"), std::string::npos);
  ReadLine(third, buffer, ec);
  EXPECT_EQ(ec, asio::error::eof);
  // A slot comes back when a client leaves.
  first.close();
  nlohmann::json answer = nlohmann::json::object();
  for (int i = 0; i < 200 && answer.value("ok", false) != true; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
    stream_protocol::socket again = Connect();
    asio::write(again, asio::buffer(std::string("{\"cmd\":\"status\"}\n")));
    buffer.clear();
    answer = nlohmann::json::parse(ReadLine(again, buffer, ec), nullptr, false);
  }
  EXPECT_EQ(answer["ok"], true);
  ControlCounters counters = Counters();
  EXPECT_EQ(counters.accepted, 3u);
  EXPECT_GE(counters.refused_limit, 1u);
}

TEST_F(ControlServerTest, LiveSocketIsNotStolenButStaleOneIsReplaced) {
  Start();
  asio::io_context other_io;
  ControlServer second(other_io, options_, [](std::string_view, ControlServer::Reply) {});
  EXPECT_EQ(second.Start().code(), Code::kUnavailable);
}

TEST(ControlServerStaleTest, StaleSocketFileIsRemoved) {
  ControlOptions options;
  options.socket = "/tmp/hasync-control-stale-" + std::to_string(getpid()) + ".sock";
  {
    asio::io_context io;
    stream_protocol::acceptor leftover(io, stream_protocol::endpoint(options.socket));
  }  // closed, file left behind: what a crashed daemon leaves
  asio::io_context io;
  ControlServer server(io, options, [](std::string_view, ControlServer::Reply) {});
  EXPECT_TRUE(server.Start().ok());
  server.Stop();
  EXPECT_NE(access(options.socket.c_str(), F_OK), 0) << "Stop removes the socket file";
}

TEST(ControlServerStaleTest, RegularFileIsNeverRemoved) {
  ControlOptions options;
  options.socket = "/tmp/hasync-control-file-" + std::to_string(getpid());
  FILE* f = fopen(options.socket.c_str(), "w");
  ASSERT_NE(f, nullptr);
  fclose(f);
  asio::io_context io;
  ControlServer server(io, options, [](std::string_view, ControlServer::Reply) {});
  EXPECT_EQ(server.Start().code(), Code::kIo);
  EXPECT_EQ(access(options.socket.c_str(), F_OK), 0);
  unlink(options.socket.c_str());
}

}  // namespace
}  // namespace hasync::daemon
