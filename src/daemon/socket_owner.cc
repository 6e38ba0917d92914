#include "daemon/socket_owner.h"

#include <fmt/format.h>
#include <grp.h>
#include <pwd.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>
#include <optional>
#include <vector>

namespace hasync::daemon {

namespace {

std::optional<uint32_t> NumericId(const std::string& text) {
  uint32_t id = 0;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), id);
  if (error != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return id;
}

// getpwnam_r / getgrnam_r with a buffer that grows while the entry does not fit in it.
template <typename Entry, typename Lookup>
Result<bool> Find(const std::string& name, Entry* entry, Lookup lookup) {
  std::vector<char> buffer(1024);
  while (true) {
    Entry* found = nullptr;
    int error = lookup(name.c_str(), entry, buffer.data(), buffer.size(), &found);
    if (error == ERANGE && buffer.size() < (1u << 20)) {
      buffer.resize(buffer.size() * 4);
      continue;
    }
    // "Not found" is reported as no entry, sometimes with ENOENT or ESRCH instead of 0.
    if (found != nullptr) return true;
    if (error == 0 || error == ENOENT || error == ESRCH || error == EBADF || error == EPERM) {
      return false;
    }
    return IoError(fmt::format("looking up '{}': {}", name, std::strerror(error)));
  }
}

}  // namespace

Result<SocketOwner> ResolveSocketOwner(const std::string& owner, const std::string& group) {
  SocketOwner result;
  if (!owner.empty()) {
    if (std::optional<uint32_t> id = NumericId(owner)) {
      result.uid = static_cast<uid_t>(*id);
    } else {
      struct passwd entry {};
      Result<bool> found = Find(owner, &entry, getpwnam_r);
      if (!found.ok()) return found.status();
      if (!*found) {
        return InvalidArgument(fmt::format("owner: no user named '{}' on this system", owner));
      }
      result.uid = entry.pw_uid;
    }
  }
  if (!group.empty()) {
    if (std::optional<uint32_t> id = NumericId(group)) {
      result.gid = static_cast<gid_t>(*id);
    } else {
      struct group entry {};
      Result<bool> found = Find(group, &entry, getgrnam_r);
      if (!found.ok()) return found.status();
      if (!*found) {
        return InvalidArgument(fmt::format("group: no group named '{}' on this system", group));
      }
      result.gid = entry.gr_gid;
    }
  }
  return result;
}

Status ApplySocketOwner(const std::string& path, const SocketOwner& owner) {
  if (owner.uid == SocketOwner::kUnchangedUser && owner.gid == SocketOwner::kUnchangedGroup) {
    return Status::Ok();
  }
  if (chown(path.c_str(), owner.uid, owner.gid) != 0) {
    int error = errno;
    auto id = [](uint32_t value) {
      return value == static_cast<uint32_t>(-1) ? std::string("unchanged") : std::to_string(value);
    };
    return IoError(fmt::format("cannot chown control socket {} to uid {}, gid {}: {}", path,
                               id(owner.uid), id(owner.gid), std::strerror(error)));
  }
  return Status::Ok();
}

}  // namespace hasync::daemon
