// The sync channel's security mode as hasyncd reports it: a label for the hasync_tls_mode
// metric, and the phrase of the "running" log line ("TLS 1.3 (certificate, peer 'node2')").
// Derived from TlsOptions, which net::MakeDriverOptions has already checked choose exactly one.
#pragma once

#include <array>
#include <string>
#include <string_view>

#include "hasync/node.h"

namespace hasync::daemon {

enum class TlsMode { kCertificate, kPsk, kInsecure };
inline constexpr std::array<TlsMode, 3> kTlsModes = {TlsMode::kCertificate, TlsMode::kPsk,
                                                     TlsMode::kInsecure};

TlsMode ModeOf(const TlsOptions& tls);
std::string_view TlsModeName(TlsMode mode);  // "certificate", "psk", "insecure"
std::string DescribeSyncChannel(const TlsOptions& tls);

}  // namespace hasync::daemon
