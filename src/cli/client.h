// ControlClient: hasyncctl's side of the control socket (docs/operations.md). Blocking: send one
// JSON request line, read response lines. Errors are values whose messages say what to check
// ("cannot connect to /run/hasync/hasyncd.sock: No such file or directory").
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "hasync/status.h"

namespace hasync::cli {

class ControlClient {
 public:
  static Result<ControlClient> Connect(const std::string& path);
  ControlClient(ControlClient&& other) noexcept;
  ControlClient& operator=(ControlClient&& other) noexcept;
  ~ControlClient();

  Status Send(const nlohmann::json& request);
  // The next response line, parsed. kIo if the daemon closed the connection or sent garbage.
  Result<nlohmann::json> Read();
  // Send + Read.
  Result<nlohmann::json> Call(const nlohmann::json& request);

 private:
  ControlClient(int fd, std::string path) : fd_(fd), path_(std::move(path)) {}
  int fd_ = -1;
  std::string path_;
  std::string buffer_;  // bytes read past the last line returned
};

}  // namespace hasync::cli
