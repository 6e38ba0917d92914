// Helpers shared by the TLS context builders: a TLS-1.3-only context, OpenSSL's error queue and
// certificate names as text, and a check that a file can be read (so an error names the file and
// the operating system's reason rather than an OpenSSL "system lib" code).
#pragma once

#include <openssl/ssl.h>

#include <asio/ssl/context.hpp>
#include <memory>
#include <string>

#include "hasync/status.h"

namespace hasync::tls {

// TLS 1.3 only, no session tickets or resumption: every connection is fully authenticated, so a
// peer whose certificate was replaced cannot resume with the old one.
Result<std::shared_ptr<asio::ssl::context>> NewTls13Context();

// The first error OpenSSL queued on this thread (the cause; later ones are consequences) as
// "reason", or `fallback` when there is none. Clears the queue so a later operation on this
// thread does not report it again.
std::string TakeOpenSslError(const char* fallback = "unknown OpenSSL error");

// kIo naming `what` and `path` when the file cannot be opened for reading.
Status CheckReadable(const char* what, const std::string& path);

// A verify callback that refuses every certificate: where none may be accepted (a PSK
// handshake), or where the expected name could not be set (fail closed, never open).
int RefuseAnyCertificate(int ok, X509_STORE_CTX* store);

// "CN=node2" (RFC 2253), or "" for no certificate.
std::string SubjectOf(const X509* cert);

}  // namespace hasync::tls
