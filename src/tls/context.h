// TLS contexts for hasync's two TLS endpoints: the sync channel between the nodes, and the
// optional TCP control endpoint between hasyncctl and hasyncd. Both speak TLS 1.3 only.
//
// Certificate mode is mutual: each side presents a certificate and requires one from the other,
// chaining to the configured CA; the expected identity (a DNS subjectAltName, or the common name
// of a certificate without one) is set per connection with ExpectPeerName. PSK mode (labs)
// authenticates both sides by a shared 256-bit-or-longer key instead. Loading errors (missing
// file, a key that does not match its certificate, a short PSK) are values naming the file.
#pragma once

#include <openssl/ssl.h>

#include <asio/ssl/context.hpp>
#include <memory>
#include <string>
#include <vector>

#include "hasync/status.h"

namespace hasync::tls {

struct Credentials {
  std::string certificate;  // PEM: this side's certificate, then any intermediates
  std::string private_key;  // PEM
  std::string ca;           // PEM: the CA certificate(s) the other side's must chain to
};

// Mutual-certificate TLS 1.3, usable for both accepting and dialing.
Result<std::shared_ptr<asio::ssl::context>> MakeCertificateContext(const Credentials& creds);

// TLS 1.3 with an external pre-shared key read from `psk_file` (hex, at least 32 bytes; a
// trailing newline allowed). `identity` is sent by the dialer and checked by the acceptor.
Result<std::shared_ptr<asio::ssl::context>> MakePskContext(const std::string& psk_file,
                                                           const std::string& identity);

// On one connection (either role, before its handshake): the peer's certificate must carry
// `name`. Certificate mode only.
void ExpectPeerName(SSL* ssl, const std::string& name);

// On a PSK dialer's connection (before its handshake): refuse any server certificate. In
// TLS 1.3 a server may ignore the offered key and authenticate with a certificate instead; an
// impostor answering on the peer's address would do just that.
void RefuseCertificates(SSL* ssl);

// One line on why a handshake failed, for logs: OpenSSL's reason plus, when verification
// failed, the verify error and the subject the peer presented ("certificate verify failed:
// hostname mismatch; peer presented CN=node3").
std::string DescribeHandshakeFailure(SSL* ssl, const asio::error_code& error);
// Whether that failure was a valid certificate naming someone else (counted apart).
bool FailedOnPeerName(SSL* ssl);

// The peer's certificate subject after a handshake ("CN=node2"), or "" (PSK mode).
std::string PeerSubject(SSL* ssl);

}  // namespace hasync::tls
