// The control socket's framing, with a stand-in handler: ordering, bad input, bounds.
#include "daemon/control_server.h"

#include <gtest/gtest.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <unistd.h>

#include <asio/io_context.hpp>
#include <asio/local/stream_protocol.hpp>
#include <asio/read_until.hpp>
#include <asio/write.hpp>
#include <thread>

#include "daemon/control_protocol.h"

namespace hasync::daemon {
namespace {

using asio::local::stream_protocol;

class ControlServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    spdlog::set_level(spdlog::level::warn);
    path_ = "/tmp/hasync-control-test-" + std::to_string(getpid()) + ".sock";
    server_ = std::make_unique<ControlServer>(
        io_, path_, 0600, [](std::string_view line, ControlServer::Reply reply) {
          ParsedRequest p = ParseRequest(line);
          reply(Serialize(p.error.ok() ? OkResponse(p.id) : ErrorResponse(p.id, p.error)));
        });
    ASSERT_TRUE(server_->Start().ok());
    thread_ = std::thread([this] { io_.run(); });
  }
  void TearDown() override {
    asio::post(io_, [this] { server_->Stop(); });
    io_.stop();
    thread_.join();
  }

  asio::io_context io_;
  asio::io_context client_io_;
  std::string path_;
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

TEST_F(ControlServerTest, SocketFileIsPrivate) {
  struct stat st;
  ASSERT_EQ(stat(path_.c_str(), &st), 0);
  EXPECT_TRUE(S_ISSOCK(st.st_mode));
  EXPECT_EQ(st.st_mode & 0777, 0600u);
}

TEST_F(ControlServerTest, MalformedLineGetsAnErrorAndTheConnectionStaysUsable) {
  stream_protocol::socket s(client_io_);
  s.connect(stream_protocol::endpoint(path_));
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

TEST_F(ControlServerTest, OverlongLineClosesTheConnection) {
  stream_protocol::socket s(client_io_);
  s.connect(stream_protocol::endpoint(path_));
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

TEST_F(ControlServerTest, LiveSocketIsNotStolenButStaleOneIsReplaced) {
  asio::io_context other_io;
  ControlServer second(other_io, path_, 0600, [](std::string_view, ControlServer::Reply) {});
  EXPECT_EQ(second.Start().code(), Code::kUnavailable);
}

TEST(ControlServerStaleTest, StaleSocketFileIsRemoved) {
  std::string path = "/tmp/hasync-control-stale-" + std::to_string(getpid()) + ".sock";
  {
    asio::io_context io;
    stream_protocol::acceptor leftover(io, stream_protocol::endpoint(path));
  }  // closed, file left behind: what a crashed daemon leaves
  asio::io_context io;
  ControlServer server(io, path, 0600, [](std::string_view, ControlServer::Reply) {});
  EXPECT_TRUE(server.Start().ok());
  server.Stop();
  EXPECT_NE(access(path.c_str(), F_OK), 0) << "Stop removes the socket file";
}

TEST(ControlServerStaleTest, RegularFileIsNeverRemoved) {
  std::string path = "/tmp/hasync-control-file-" + std::to_string(getpid());
  FILE* f = fopen(path.c_str(), "w");
  ASSERT_NE(f, nullptr);
  fclose(f);
  asio::io_context io;
  ControlServer server(io, path, 0600, [](std::string_view, ControlServer::Reply) {});
  EXPECT_EQ(server.Start().code(), Code::kIo);
  EXPECT_EQ(access(path.c_str(), F_OK), 0);
  unlink(path.c_str());
}

}  // namespace
}  // namespace hasync::daemon
