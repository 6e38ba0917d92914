// Where the control endpoint's tests (tests/daemon, tests/cli) find their certificates: the
// directory the CTest fixture daemon_certs fills (tests/CMakeLists.txt): ca.crt with node1,
// node2 and admin, and other-ca/ with an admin of another CA.
#pragma once

#include <string>
#include <string_view>

#ifndef HASYNC_DAEMON_TEST_CERTS
#error "HASYNC_DAEMON_TEST_CERTS must name the test certificate directory (tests/CMakeLists.txt)"
#endif

namespace hasync::testing {

// "<dir>/<file>", e.g. DaemonTestCert("admin.crt").
inline std::string DaemonTestCert(std::string_view file) {
  return std::string(HASYNC_DAEMON_TEST_CERTS) + "/" + std::string(file);
}

}  // namespace hasync::testing
