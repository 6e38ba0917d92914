#include "daemon/tls_mode.h"

#include <fmt/format.h>

namespace hasync::daemon {

TlsMode ModeOf(const TlsOptions& tls) {
  if (tls.insecure) return TlsMode::kInsecure;
  return tls.psk_file.empty() ? TlsMode::kCertificate : TlsMode::kPsk;
}

std::string_view TlsModeName(TlsMode mode) {
  switch (mode) {
    case TlsMode::kCertificate:
      return "certificate";
    case TlsMode::kPsk:
      return "psk";
    case TlsMode::kInsecure:
      return "insecure";
  }
  return "?";
}

std::string DescribeSyncChannel(const TlsOptions& tls) {
  switch (ModeOf(tls)) {
    case TlsMode::kCertificate:
      return fmt::format("TLS 1.3 (certificate, peer '{}')", tls.peer_name);
    case TlsMode::kPsk:
      return "TLS 1.3 (pre-shared key)";
    case TlsMode::kInsecure:
      return "plain TCP (insecure: neither authenticated nor encrypted)";
  }
  return "?";
}

}  // namespace hasync::daemon
