#include "tls/openssl_util.h"

#include <fmt/format.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/x509.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

namespace hasync::tls {

Result<std::shared_ptr<asio::ssl::context>> NewTls13Context() {
  SSL_CTX* ctx = SSL_CTX_new(TLS_method());
  if (ctx == nullptr) return IoError("tls: cannot create a context: " + TakeOpenSslError());
  // asio's context owns (and frees) the handle from here.
  auto context = std::make_shared<asio::ssl::context>(ctx);
  if (SSL_CTX_set_min_proto_version(ctx, TLS1_3_VERSION) != 1 ||
      SSL_CTX_set_num_tickets(ctx, 0) != 1) {
    return IoError("tls: cannot restrict the context to TLS 1.3: " + TakeOpenSslError());
  }
  SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
  return context;
}

std::string TakeOpenSslError(const char* fallback) {
  unsigned long code = ERR_peek_error();
  const char* reason = code != 0 ? ERR_reason_error_string(code) : nullptr;
  std::string text = reason != nullptr ? reason : fallback;
  ERR_clear_error();
  return text;
}

Status CheckReadable(const char* what, const std::string& path) {
  std::FILE* file = std::fopen(path.c_str(), "r");
  if (file == nullptr) {
    return IoError(fmt::format("tls: cannot read {} '{}': {}", what, path, std::strerror(errno)));
  }
  std::fclose(file);
  return Status::Ok();
}

std::string SubjectOf(const X509* cert) {
  if (cert == nullptr) return "";
  BIO* bio = BIO_new(BIO_s_mem());
  if (bio == nullptr) return "";
  std::string text;
  if (X509_NAME_print_ex(bio, X509_get_subject_name(cert), 0, XN_FLAG_RFC2253) >= 0) {
    char* data = nullptr;
    long size = BIO_get_mem_data(bio, &data);
    if (size > 0) text.assign(data, static_cast<size_t>(size));
  }
  BIO_free(bio);
  return text;
}

int RefuseAnyCertificate(int /*ok*/, X509_STORE_CTX* /*store*/) { return 0; }

}  // namespace hasync::tls
