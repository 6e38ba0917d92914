// SocketOwner: the user and group the control socket file is handed to ([control] owner and
// group), looked up once at start. A name must exist in the user or group database (a typo
// must not leave the socket to root silently); a numeric id is taken as it is.
#pragma once

#include <sys/types.h>

#include <string>

#include "hasync/status.h"

namespace hasync::daemon {

struct SocketOwner {
  static constexpr uid_t kUnchangedUser = static_cast<uid_t>(-1);  // chown's "leave it"
  static constexpr gid_t kUnchangedGroup = static_cast<gid_t>(-1);
  uid_t uid = kUnchangedUser;
  gid_t gid = kUnchangedGroup;
};

// `owner` and `group`: a name, a string of digits, or empty (unchanged). kInvalidArgument naming
// an unknown user or group; kIo if the database could not be read.
Result<SocketOwner> ResolveSocketOwner(const std::string& owner, const std::string& group);

// chown(path) to `owner`; a no-op when both are unchanged. kIo with the system's reason.
Status ApplySocketOwner(const std::string& path, const SocketOwner& owner);

}  // namespace hasync::daemon
