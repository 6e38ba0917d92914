#include "tls/context.h"

#include <fmt/format.h>
#include <openssl/err.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>

#include <asio/ssl/error.hpp>

#include "tls/openssl_util.h"

namespace hasync::tls {

namespace {

void FreeCertificate(void*, void* ptr, CRYPTO_EX_DATA*, int, long, void*) {
  X509_free(static_cast<X509*>(ptr));
}

// An SSL ex_data slot for the certificate the peer presented when verifying it failed: OpenSSL
// keeps the peer's certificate in the session only once it is verified, and the log line of a
// refused peer should say who it claimed to be.
int RejectedCertificateIndex() {
  static const int index = SSL_get_ex_new_index(0, nullptr, nullptr, nullptr, FreeCertificate);
  return index;
}

// Verification as OpenSSL does it (the result is `ok`), remembering the leaf certificate of a
// chain that failed.
int RememberRejected(int ok, X509_STORE_CTX* store) {
  if (ok == 1) return ok;
  auto* ssl =
      static_cast<SSL*>(X509_STORE_CTX_get_ex_data(store, SSL_get_ex_data_X509_STORE_CTX_idx()));
  X509* leaf = X509_STORE_CTX_get0_cert(store);
  int index = RejectedCertificateIndex();
  if (ssl != nullptr && leaf != nullptr && index >= 0 && SSL_get_ex_data(ssl, index) == nullptr &&
      X509_up_ref(leaf) == 1 && SSL_set_ex_data(ssl, index, leaf) != 1) {
    X509_free(leaf);
  }
  return ok;
}

// OpenSSL's reason for a failed handshake, without asio's "(SSL routines)" suffix.
std::string DescribeError(const asio::error_code& error) {
  if (error == asio::ssl::error::stream_truncated || error == asio::error::eof) {
    return "the connection was closed during the handshake";
  }
  if (error.category() != asio::error::get_ssl_category()) return error.message();
  auto code = static_cast<unsigned long>(error.value());
  const char* reason = ERR_reason_error_string(code);
  std::string text = reason != nullptr ? reason : error.message();
  // Reasons past SSL_AD_REASON_OFFSET are alerts the peer sent: it refused us.
  if (ERR_GET_LIB(code) == ERR_LIB_SSL && ERR_GET_REASON(code) >= SSL_AD_REASON_OFFSET) {
    return "the peer refused it (" + text + ")";
  }
  return text;
}

}  // namespace

Result<std::shared_ptr<asio::ssl::context>> MakeCertificateContext(const Credentials& creds) {
  for (auto [what, path] :
       {std::pair{"certificate", &creds.certificate}, std::pair{"private_key", &creds.private_key},
        std::pair{"ca", &creds.ca}}) {
    Status readable = CheckReadable(what, *path);
    if (!readable.ok()) return readable;
  }
  Result<std::shared_ptr<asio::ssl::context>> context = NewTls13Context();
  if (!context.ok()) return context;
  SSL_CTX* ctx = (*context)->native_handle();
  if (SSL_CTX_use_certificate_chain_file(ctx, creds.certificate.c_str()) != 1) {
    return InvalidArgument(fmt::format("tls: certificate '{}': {}", creds.certificate,
                                       TakeOpenSslError("not a PEM certificate")));
  }
  if (SSL_CTX_use_PrivateKey_file(ctx, creds.private_key.c_str(), SSL_FILETYPE_PEM) != 1) {
    bool mismatch = ERR_GET_REASON(ERR_peek_error()) == X509_R_KEY_VALUES_MISMATCH;
    std::string reason = TakeOpenSslError("not a PEM private key");
    if (mismatch) reason = fmt::format("does not match certificate '{}'", creds.certificate);
    return InvalidArgument(fmt::format("tls: private_key '{}': {}", creds.private_key, reason));
  }
  if (SSL_CTX_check_private_key(ctx) != 1) {
    TakeOpenSslError();
    return InvalidArgument(fmt::format("tls: private_key '{}': does not match certificate '{}'",
                                       creds.private_key, creds.certificate));
  }
  if (SSL_CTX_load_verify_locations(ctx, creds.ca.c_str(), nullptr) != 1) {
    return InvalidArgument(
        fmt::format("tls: ca '{}': {}", creds.ca, TakeOpenSslError("no CA certificate found")));
  }
  SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, RememberRejected);
  return context;
}

void ExpectPeerName(SSL* ssl, const std::string& name) {
  SSL_set_hostflags(ssl, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
  // If OpenSSL cannot take the name (out of memory), refuse every certificate rather than
  // accept any the CA signed.
  if (SSL_set1_host(ssl, name.c_str()) != 1) {
    SSL_set_verify(ssl, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, RefuseAnyCertificate);
  }
}

void RefuseCertificates(SSL* ssl) { SSL_set_verify(ssl, SSL_VERIFY_PEER, RefuseAnyCertificate); }

std::string DescribeHandshakeFailure(SSL* ssl, const asio::error_code& error) {
  std::string text = DescribeError(error);
  if (ssl == nullptr) return text;
  long verify = SSL_get_verify_result(ssl);
  if (verify != X509_V_OK) text += fmt::format(": {}", X509_verify_cert_error_string(verify));
  int index = RejectedCertificateIndex();
  auto* presented = index >= 0 ? static_cast<const X509*>(SSL_get_ex_data(ssl, index)) : nullptr;
  if (presented != nullptr) text += "; peer presented " + SubjectOf(presented);
  return text;
}

bool FailedOnPeerName(SSL* ssl) {
  return ssl != nullptr && SSL_get_verify_result(ssl) == X509_V_ERR_HOSTNAME_MISMATCH;
}

std::string PeerSubject(SSL* ssl) {
  return ssl != nullptr ? SubjectOf(SSL_get0_peer_certificate(ssl)) : "";
}

}  // namespace hasync::tls
