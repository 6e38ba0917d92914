#include "cli/client.h"

#include <fmt/format.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

namespace hasync::cli {

Result<ControlClient> ControlClient::Connect(const std::string& path) {
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  if (path.size() >= sizeof(address.sun_path)) {
    return InvalidArgument(fmt::format("control socket path {} is too long", path));
  }
  std::memcpy(address.sun_path, path.c_str(), path.size() + 1);
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return IoError(fmt::format("socket: {}", std::strerror(errno)));
  if (connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0) {
    int error = errno;
    close(fd);
    return IoError(fmt::format("cannot connect to {}: {}", path, std::strerror(error)));
  }
  return ControlClient(fd, path);
}

ControlClient::ControlClient(ControlClient&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)),
      path_(std::move(other.path_)),
      buffer_(std::move(other.buffer_)) {}

ControlClient& ControlClient::operator=(ControlClient&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) close(fd_);
    fd_ = std::exchange(other.fd_, -1);
    path_ = std::move(other.path_);
    buffer_ = std::move(other.buffer_);
  }
  return *this;
}

ControlClient::~ControlClient() {
  if (fd_ >= 0) close(fd_);
}

Status ControlClient::Send(const nlohmann::json& request) {
  std::string line = request.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  line += '\n';
  size_t sent = 0;
  while (sent < line.size()) {
    ssize_t n = ::send(fd_, line.data() + sent, line.size() - sent, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return IoError(fmt::format("writing to {}: {}", path_, std::strerror(errno)));
    sent += static_cast<size_t>(n);
  }
  return Status::Ok();
}

Result<nlohmann::json> ControlClient::Read() {
  size_t newline;
  while ((newline = buffer_.find('\n')) == std::string::npos) {
    char chunk[64 << 10];
    ssize_t n = ::read(fd_, chunk, sizeof(chunk));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return IoError(fmt::format("reading from {}: {}", path_, std::strerror(errno)));
    if (n == 0) return IoError(fmt::format("{}: the daemon closed the connection", path_));
    buffer_.append(chunk, static_cast<size_t>(n));
  }
  nlohmann::json response =
      nlohmann::json::parse(std::string_view(buffer_).substr(0, newline), nullptr, false);
  buffer_.erase(0, newline + 1);
  if (response.is_discarded() || !response.is_object()) {
    return IoError(fmt::format("{}: the daemon sent a malformed response", path_));
  }
  return response;
}

Result<nlohmann::json> ControlClient::Call(const nlohmann::json& request) {
  Status sent = Send(request);
  if (!sent.ok()) return sent;
  return Read();
}

}  // namespace hasync::cli
