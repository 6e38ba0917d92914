// fuzz_control_response: hasyncctl against a made-up daemon. A hostile or broken hasyncd must
// not crash hasyncctl, hang it or make it misbehave under the sanitizers: whatever it answers,
// the command ends with an exit status and a message.
//
// The whole client runs, as `hasyncctl <command>` does (cli::RunCommand): it connects to a unix
// socket served by a thread of this target, which reads the request line, answers with the
// input's bytes as they are (any number of lines, a line cut short, or nothing) and closes. That
// covers the line buffering and JSON parsing of ControlClient, each command's handling of the
// answer and the human-readable formatting. Exceptions are caught as hasyncctl's main() does
// (it prints them as fatal); anything else that escapes is a crash.
//
// Input: byte 0 picks the command (its low 4 bits, modulo the count) and, with its top bit,
// --json; bit 4 adds `wait --in-sync` (`pool show --client`), bit 5 `wait --role active`
// (`pool show --address`, without bit 4); the rest is the answer.
// Run with -close_fd_mask=3 (scripts/fuzz.sh does): hasyncctl prints every answer.
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>

#include "cli/commands.h"

namespace {

constexpr std::array<std::string_view, 16> kCommands = {
    "status",       "put",       "get",        "del",
    "load",         "digest",    "dump",       "switchover",
    "metrics",      "wait",      "pool.alloc", "pool.renew",
    "pool.release", "pool.show", "pool.list",  "pool.partner_down"};

// The fake hasyncd: one connection at a time, answered with the reply set before it was made.
// hasyncctl returns only after it has read the answer or the close, so the reply of the next
// input is never set while a connection still waits for this one.
class FakeDaemon {
 public:
  FakeDaemon() : path_("/tmp/hasync-fuzz-control-" + std::to_string(getpid()) + ".sock") {
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    std::memcpy(address.sun_path, path_.c_str(), path_.size() + 1);
    unlink(path_.c_str());
    listener_ = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (listener_ < 0 || bind(listener_, reinterpret_cast<sockaddr*>(&address), sizeof(address)) ||
        listen(listener_, 4) != 0) {
      std::perror("fuzz_control_response: cannot listen");
      std::abort();
    }
    std::thread([this] { Serve(); }).detach();
  }

  const std::string& path() const { return path_; }
  void SetReply(std::string_view reply) {
    std::lock_guard<std::mutex> lock(mutex_);
    reply_ = reply;
  }

 private:
  void Serve() {
    for (;;) {
      int fd = accept(listener_, nullptr, nullptr);
      if (fd < 0) continue;
      std::string reply;
      {
        std::lock_guard<std::mutex> lock(mutex_);
        reply = reply_;
      }
      // The request line first, as hasyncd reads it (hasyncctl sends exactly one).
      char c = 0;
      while (c != '\n' && read(fd, &c, 1) == 1) {
      }
      for (size_t sent = 0; sent < reply.size();) {
        ssize_t n = send(fd, reply.data() + sent, reply.size() - sent, MSG_NOSIGNAL);
        if (n <= 0) break;  // hasyncctl stopped reading: it has what it wanted
        sent += static_cast<size_t>(n);
      }
      close(fd);
    }
  }

  std::string path_;
  int listener_ = -1;
  std::mutex mutex_;
  std::string reply_;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static FakeDaemon* daemon = new FakeDaemon();  // lives as long as its thread
  if (size < 1) return 0;
  hasync::cli::Invocation in;
  in.target.control = daemon->path();
  in.command = kCommands[(data[0] & 0x0f) % kCommands.size()];
  in.json = (data[0] & 0x80) != 0;
  in.wait_in_sync = (data[0] & 0x10) != 0;
  if ((data[0] & 0x20) != 0) in.wait_role = "active";
  in.timeout_ms = 0;  // wait: one status request, then give up
  in.table = "nat";
  in.key = "10.0.0.1";
  in.value = "v";
  in.count = 10;
  in.value_size = 8;
  in.pool = "lan";
  if (in.command != "pool.show") {
    in.client = "aa:bb:cc:dd:ee:ff";
    in.address = "10.0.0.7";
  } else if (in.wait_in_sync) {
    in.client = "aa:bb:cc:dd:ee:ff";  // the lease of a client
  } else if (!in.wait_role.empty()) {
    in.address = "10.0.0.7";  // the lease of an address; neither: the pool's usage
  }
  in.from = "10.0.0.1";
  in.limit = 2;
  daemon->SetReply(std::string_view(reinterpret_cast<const char*>(data + 1), size - 1));
  try {
    (void)hasync::cli::RunCommand(in);
  } catch (const std::exception&) {
    // hasyncctl's main() prints "hasyncctl: fatal: ..." and exits 1.
  }
  return 0;
}
