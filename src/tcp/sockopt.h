// Thin wrappers over setsockopt/getsockopt/ioctl that turn a failure into a kIo Status naming
// the option and errno, so that the repair code reads as the sequence of steps it is.
#pragma once

#include <sys/socket.h>

#include <cerrno>
#include <cstring>

#include "fmt/format.h"
#include "hasync/status.h"

namespace hasync::tcp {

inline Status ErrnoStatus(const char* what, int err = errno) {
  return IoError(fmt::format("{}: {}", what, std::strerror(err)));
}

template <typename T>
Status SetOption(int fd, int level, int name, const T& value, const char* what) {
  if (::setsockopt(fd, level, name, &value, sizeof(value)) != 0) return ErrnoStatus(what);
  return Status::Ok();
}

// Reads an option of exactly sizeof(T) bytes (a shorter answer is an error: an older kernel that
// lacks the fields we need).
template <typename T>
Status GetOption(int fd, int level, int name, T& value, const char* what) {
  socklen_t len = sizeof(value);
  if (::getsockopt(fd, level, name, &value, &len) != 0) return ErrnoStatus(what);
  if (len != sizeof(value)) {
    return IoError(
        fmt::format("{}: the kernel answered {} bytes, {} expected", what, len, sizeof(value)));
  }
  return Status::Ok();
}

}  // namespace hasync::tcp
