// Capture and restore with real sockets, in a private network namespace per test. The moves
// between processes stand for a move between nodes: the capturing process exits with the socket
// frozen (so the kernel sends neither FIN nor RST), the other restores it, and the client, an
// ordinary socket, must see the byte stream go on in both directions without a gap, a
// duplicate or an error.
#include "tcp/repair.h"

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <functional>
#include <regex>
#include <thread>

#include "loopback.h"
#include "tcp/snapshot_codec.h"

namespace hasync::tcp {
namespace {

using testing::AcceptOne;
using testing::ConnectTo;
using testing::Listen;
using testing::Pattern;
using testing::ReadExactly;
using testing::WriteAll;

class RepairTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string why = testing::EnterPrivateNetns();
    if (why.empty()) return;
    // CI runs as root and sets this, so there the tests cannot quietly not run.
    if (std::getenv("HASYNC_REQUIRE_PRIVILEGED") != nullptr) FAIL() << why;
    GTEST_SKIP() << "needs CAP_NET_ADMIN and CAP_SYS_ADMIN: " << why;
  }
};

// Reads everything from `fd` until EOF.
std::string ReadToEnd(int fd) {
  std::string out;
  char buf[65536];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof(buf));
    if (n <= 0) return out;
    out.append(buf, static_cast<size_t>(n));
  }
}

bool WriteFd(int fd, std::string_view bytes) {
  while (!bytes.empty()) {
    ssize_t n = ::write(fd, bytes.data(), bytes.size());
    if (n <= 0) return false;
    bytes.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

// The old server: a child process that runs `body` on the accepted connection, captures it
// frozen, sends the encoded snapshot down a pipe and exits. The parent gets the snapshot once
// `client_side` (run meanwhile, with a pipe byte to release the child) is done.
struct Move {
  std::function<bool(int conn, int go)> server_before_capture;
  std::function<bool(int client, int go)> client_side;
};

Result<TcpSnapshot> CaptureInChild(int listener, int client, const Move& move) {
  int go[2];
  int out[2];
  if (::pipe(go) != 0 || ::pipe(out) != 0) return IoError("pipe");
  pid_t pid = ::fork();
  if (pid == 0) {
    ::close(go[1]);
    ::close(out[0]);
    UniqueFd conn = AcceptOne(listener);
    if (!conn.valid() || !move.server_before_capture(conn.get(), go[0])) ::_exit(2);
    Result<TcpSnapshot> s = Capture(conn.get(), AfterCapture::kKeepFrozen);
    if (!s.ok()) {
      WriteFd(out[1], "error: " + s.status().ToString());
      ::_exit(3);
    }
    std::vector<uint8_t> bytes;
    EncodeSnapshot(*s, bytes);
    bool sent = WriteFd(out[1], {reinterpret_cast<const char*>(bytes.data()), bytes.size()});
    ::_exit(sent ? 0 : 4);  // the frozen socket closes silently
  }
  ::close(go[0]);
  ::close(out[1]);
  bool client_ok = move.client_side(client, go[1]);
  ::close(go[1]);
  std::string bytes = ReadToEnd(out[0]);
  ::close(out[0]);
  int status = 0;
  ::waitpid(pid, &status, 0);
  if (!client_ok) return IoError("the client side failed");
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    return IoError("the capturing process failed: " + bytes);
  }
  return DecodeSnapshot({reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()});
}

// Empty when equal; otherwise where and how two byte streams first differ (printing megabytes
// of pattern helps no one).
std::string Difference(const std::string& got, const std::string& want) {
  size_t i = 0;
  while (i < got.size() && i < want.size() && got[i] == want[i]) ++i;
  if (i == got.size() && i == want.size()) return "";
  return "got " + std::to_string(got.size()) + " bytes, want " + std::to_string(want.size()) +
         "; first difference at offset " + std::to_string(i);
}

bool WaitGo(int go) {
  char c;
  return ::read(go, &c, 1) == 1;
}

bool SendGo(int go) { return ::write(go, "g", 1) == 1; }

// The old server of the MoveTests: once released, it fills its send queue and tells the parent
// how many bytes it wrote (through a pipe, since it runs in the child).
class FillingServer {
 public:
  FillingServer() {
    if (::pipe(fds_) != 0) fds_[0] = fds_[1] = -1;
  }
  ~FillingServer() {
    ::close(fds_[0]);
    ::close(fds_[1]);
  }
  FillingServer(const FillingServer&) = delete;
  FillingServer& operator=(const FillingServer&) = delete;

  std::function<bool(int, int)> Body() {
    return [this](int conn, int go) {
      if (!WaitGo(go)) return false;
      size_t n = testing::WriteUntilFull(conn, 0);
      return WriteFd(fds_[1], {reinterpret_cast<const char*>(&n), sizeof(n)});
    };
  }
  size_t Wrote() {
    size_t n = 0;
    return ::read(fds_[0], &n, sizeof(n)) == static_cast<ssize_t>(sizeof(n)) ? n : 0;
  }

 private:
  int fds_[2];
};

class MoveTest : public RepairTest, public ::testing::WithParamInterface<Endpoint::Family> {};

TEST_P(MoveTest, ConnectionWithDataQueuedBothWaysMovesToAnotherProcess) {
  UniqueFd listener = Listen(GetParam());
  ASSERT_TRUE(listener.valid());
  // A small client window, so that the server's writes pile up unsent.
  UniqueFd client = ConnectTo(listener.get(), 4096);
  ASSERT_TRUE(client.valid());
  const std::string unread = "written by the client, never read by the old server";
  FillingServer old_server;
  Move move;
  move.server_before_capture = old_server.Body();
  move.client_side = [&](int c, int go) { return WriteAll(c, unread) && SendGo(go); };
  Result<TcpSnapshot> s = CaptureInChild(listener.get(), client.get(), move);
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  size_t server_wrote = old_server.Wrote();
  ASSERT_GT(server_wrote, 0u);
  EXPECT_EQ(s->recv_queue, unread);
  EXPECT_GT(s->send_queue.size(), 0u);
  EXPECT_GT(s->unsent_bytes, 0u);  // the window was closed
  EXPECT_EQ(s->local.port, testing::PortOf(listener.get()));
  EXPECT_EQ(s->remote.port, testing::PortOf(client.get()));

  Result<UniqueFd> restored = Restore(*s);
  ASSERT_TRUE(restored.ok()) << restored.status().ToString();
  int server = restored->get();
  EXPECT_EQ(ReadExactly(server, unread.size()), unread);
  EXPECT_EQ(Difference(ReadExactly(client.get(), server_wrote), Pattern(0, server_wrote)), "");
  ASSERT_TRUE(WriteAll(server, "restored server speaks\n"));
  EXPECT_EQ(ReadExactly(client.get(), 23), "restored server speaks\n");
  ASSERT_TRUE(WriteAll(client.get(), "client answers\n"));
  EXPECT_EQ(ReadExactly(server, 15), "client answers\n");
  EXPECT_EQ(testing::SocketError(client.get()), 0);
}

TEST_P(MoveTest, FullBuffersBothWaysMoveIntact) {
  UniqueFd listener = Listen(GetParam());
  UniqueFd client = ConnectTo(listener.get());
  ASSERT_TRUE(client.valid());
  testing::SetNonBlocking(client.get());
  constexpr uint64_t kClientStream = 1ull << 40;  // another part of the pattern
  size_t client_wrote = 0;
  FillingServer old_server;
  Move move;
  move.server_before_capture = old_server.Body();
  move.client_side = [&](int c, int go) {
    client_wrote = testing::WriteUntilFull(c, kClientStream);
    return SendGo(go);
  };
  Result<TcpSnapshot> s = CaptureInChild(listener.get(), client.get(), move);
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  size_t server_wrote = old_server.Wrote();
  ASSERT_GT(server_wrote, 0u);
  // Large enough that the restore must grow the socket buffers (restore.cc).
  EXPECT_GT(s->recv_queue.size(), 64u << 10);
  EXPECT_GT(s->send_queue.size(), 64u << 10);

  Result<UniqueFd> restored = Restore(*s);
  ASSERT_TRUE(restored.ok()) << restored.status().ToString();
  // Both directions drain at once, each side reading on its own thread.
  std::string client_got;
  std::thread reader([&] { client_got = ReadExactly(client.get(), server_wrote, 30000); });
  std::string server_got = ReadExactly(restored->get(), client_wrote, 30000);
  reader.join();
  EXPECT_EQ(Difference(server_got, Pattern(kClientStream, client_wrote)), "");
  EXPECT_EQ(Difference(client_got, Pattern(0, server_wrote)), "");
}

INSTANTIATE_TEST_SUITE_P(Families, MoveTest,
                         ::testing::Values(Endpoint::Family::kIpv4, Endpoint::Family::kIpv6),
                         [](const auto& param_info) {
                           return param_info.param == Endpoint::Family::kIpv6 ? "Ipv6" : "Ipv4";
                         });

// The old server sends kSent bytes while `rule` (an nft rule on the server port's packets)
// drops some traffic; the snapshot then holds bytes sent and not acknowledged. After the rule
// is gone and the connection restored, the client must read exactly the stream, then "next".
void SendUnderDropThenMove(const std::string& rule) {
  UniqueFd listener = Listen(Endpoint::Family::kIpv4);
  UniqueFd client = ConnectTo(listener.get());
  ASSERT_TRUE(client.valid());
  std::string port = std::to_string(testing::PortOf(listener.get()));
  constexpr size_t kSent = 100000;
  Move move;
  move.server_before_capture = [&](int conn, int go) {
    bool ok = WaitGo(go) && WriteAll(conn, Pattern(0, kSent));
    std::this_thread::sleep_for(std::chrono::milliseconds(200));  // transmissions happen
    return ok;
  };
  move.client_side = [&](int, int go) {
    std::string table =
        "table inet hasync_test {\n chain input {\n"
        "  type filter hook input priority 0;\n  " +
        std::regex_replace(rule, std::regex("PORT"), port) + "\n }\n}\n";
    return testing::Nft(table) && SendGo(go);
  };
  Result<TcpSnapshot> s = CaptureInChild(listener.get(), client.get(), move);
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_EQ(Difference(s->send_queue, Pattern(0, kSent)), "");
  EXPECT_LT(s->unsent_bytes, kSent);  // some went out, and was never acknowledged
  ASSERT_TRUE(testing::Nft("delete table inet hasync_test"));

  Result<UniqueFd> restored = Restore(*s);
  ASSERT_TRUE(restored.ok()) << restored.status().ToString();
  ASSERT_TRUE(WriteAll(restored->get(), "next"));
  EXPECT_EQ(Difference(ReadExactly(client.get(), kSent + 4), Pattern(0, kSent) + "next"), "");
  EXPECT_TRUE(testing::QuietFor(client.get(), 200));
}

TEST_F(RepairTest, BytesTheClientGotButDidNotAcknowledgeAreNotDuplicated) {
  SendUnderDropThenMove("tcp dport PORT drop");  // the client's acknowledgements
}

TEST_F(RepairTest, BytesLostOnTheWayAreSentAgain) {
  SendUnderDropThenMove("tcp sport PORT drop");  // the server's segments
}

TEST_F(RepairTest, ThawedCaptureLeavesTheConnectionRunning) {
  auto [listener, client, server] = testing::ConnectedPair(Endpoint::Family::kIpv4);
  ASSERT_TRUE(server.valid());
  ASSERT_TRUE(WriteAll(client.get(), "abc"));
  ASSERT_EQ(ReadExactly(server.get(), 3), "abc");
  ASSERT_TRUE(WriteAll(client.get(), "queued"));
  ASSERT_TRUE(testing::QuietFor(client.get(), 20));

  Result<TcpSnapshot> s = Capture(server.get(), AfterCapture::kThaw);
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_EQ(s->recv_queue, "queued");
  EXPECT_TRUE(s->send_queue.empty());
  EXPECT_TRUE(s->sack);
  EXPECT_TRUE(s->timestamps);
  EXPECT_TRUE(s->window_scaling);
  EXPECT_GT(s->mss, 0);
  EXPECT_EQ(s->remote.port, testing::PortOf(client.get()));
  // Thawed, the socket still reads what was queued and carries on.
  EXPECT_EQ(ReadExactly(server.get(), 6), "queued");
  ASSERT_TRUE(WriteAll(server.get(), "xyz"));
  EXPECT_EQ(ReadExactly(client.get(), 3), "xyz");
}

TEST_F(RepairTest, CaptureRefusesAClosingConnectionAndThawsIt) {
  auto [listener, client, server] = testing::ConnectedPair(Endpoint::Family::kIpv4);
  ASSERT_TRUE(server.valid());
  ASSERT_EQ(::shutdown(client.get(), SHUT_WR), 0);
  ASSERT_EQ(ReadExactly(server.get(), 1, 1000), "");  // the FIN: CLOSE_WAIT

  for (auto after : {AfterCapture::kThaw, AfterCapture::kKeepFrozen}) {
    Result<TcpSnapshot> s = Capture(server.get(), after);
    ASSERT_FALSE(s.ok());
    EXPECT_EQ(s.status().code(), Code::kRejected) << s.status().ToString();
  }
  ASSERT_TRUE(WriteAll(server.get(), "bye"));
  EXPECT_EQ(ReadExactly(client.get(), 3), "bye");
}

TEST_F(RepairTest, TimestampClockMovesOnByTheTimeSinceCapture) {
  auto [listener, client, server] = testing::ConnectedPair(Endpoint::Family::kIpv4);
  ASSERT_TRUE(server.valid());
  Result<TcpSnapshot> s = Capture(server.get(), AfterCapture::kKeepFrozen);
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  ASSERT_TRUE(s->timestamps);
  server.reset();  // frozen: gone without a FIN

  RestoreOptions options{.elapsed = std::chrono::seconds(10), .keep_frozen = true};
  Result<UniqueFd> restored = Restore(*s, options);
  ASSERT_TRUE(restored.ok()) << restored.status().ToString();
  uint32_t clock = 0;
  socklen_t len = sizeof(clock);
  ASSERT_EQ(::getsockopt(restored->get(), IPPROTO_TCP, TCP_TIMESTAMP, &clock, &len), 0);
  uint32_t ahead = clock - s->timestamp;
  uint32_t ten_seconds = (s->timestamp & 1u) != 0 ? 10'000'000 : 10'000;
  EXPECT_GE(ahead, ten_seconds);
  EXPECT_LT(ahead, ten_seconds + ten_seconds / 10);  // and not wildly more

  ASSERT_TRUE(Thaw(restored->get(), *s).ok());
  ASSERT_TRUE(WriteAll(client.get(), "ping"));
  EXPECT_EQ(ReadExactly(restored->get(), 4), "ping");
  ASSERT_TRUE(WriteAll(restored->get(), "pong"));
  EXPECT_EQ(ReadExactly(client.get(), 4), "pong");
}

TEST_F(RepairTest, RestoreOfAnAddressThisNodeLacksFailsCleanly) {
  auto [listener, client, server] = testing::ConnectedPair(Endpoint::Family::kIpv4);
  ASSERT_TRUE(server.valid());
  Result<TcpSnapshot> s = Capture(server.get(), AfterCapture::kThaw);
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  TcpSnapshot elsewhere = *s;
  elsewhere.local.addr = {10, 99, 99, 1};  // on no interface of this namespace
  Result<UniqueFd> restored = Restore(elsewhere);
  ASSERT_FALSE(restored.ok());
  EXPECT_EQ(restored.status().code(), Code::kIo);
  EXPECT_NE(restored.status().message().find("bind"), std::string::npos)
      << restored.status().ToString();
  // The live connection was not disturbed.
  ASSERT_TRUE(WriteAll(server.get(), "ok"));
  EXPECT_EQ(ReadExactly(client.get(), 2), "ok");
}

}  // namespace
}  // namespace hasync::tcp
