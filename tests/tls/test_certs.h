// Where the TLS tests find their certificates: the directory the CTest fixture tls_certs fills
// (tests/tls/make-test-certs.sh lists what it holds).
#pragma once

#include <string>
#include <string_view>

#ifndef HASYNC_TEST_CERTS
#error "HASYNC_TEST_CERTS must name the test certificate directory (tests/CMakeLists.txt)"
#endif

namespace hasync::testing {

// "<dir>/<file>", e.g. TestCert("node1.crt").
inline std::string TestCert(std::string_view file) {
  return std::string(HASYNC_TEST_CERTS) + "/" + std::string(file);
}

}  // namespace hasync::testing
