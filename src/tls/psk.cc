// MakePskContext: TLS 1.3 authenticated by an external pre-shared key.
//
// OpenSSL's PSK callbacks (the TLS 1.2 interface) also serve TLS 1.3: the key is used with
// TLS_AES_128_GCM_SHA256 (the hash must be SHA-256), and the handshake still runs an ECDHE
// exchange (psk_dhe_ke), so a key that leaks later does not decrypt recorded traffic. Each side
// proves it holds the key through the PSK binder and the Finished messages; a wrong key or
// identity fails the handshake.
#include <fmt/format.h>
#include <openssl/crypto.h>

#include <cctype>
#include <cstring>
#include <fstream>
#include <iterator>
#include <vector>

#include "tls/context.h"
#include "tls/openssl_util.h"

namespace hasync::tls {

namespace {

constexpr size_t kMinKeyBytes = 32;
constexpr size_t kMaxKeyBytes = PSK_MAX_PSK_LEN;
constexpr size_t kMaxIdentityBytes = PSK_MAX_IDENTITY_LEN;
// Both ciphersuites hash with SHA-256, which OpenSSL's PSK callbacks require in TLS 1.3.
constexpr const char* kPskCiphersuites = "TLS_AES_128_GCM_SHA256:TLS_CHACHA20_POLY1305_SHA256";

struct Secret {
  std::string identity;
  std::vector<unsigned char> key;
  ~Secret() { OPENSSL_cleanse(key.data(), key.size()); }
};

void FreeSecret(void*, void* ptr, CRYPTO_EX_DATA*, int, long, void*) {
  delete static_cast<Secret*>(ptr);
}

// The SSL_CTX ex_data slot holding the context's Secret (freed with the context).
int SecretIndex() {
  static const int index = SSL_CTX_get_ex_new_index(0, nullptr, nullptr, nullptr, FreeSecret);
  return index;
}

const Secret* SecretOf(SSL* ssl) {
  return static_cast<const Secret*>(SSL_CTX_get_ex_data(SSL_get_SSL_CTX(ssl), SecretIndex()));
}

unsigned int CopyKey(const Secret& secret, unsigned char* psk, unsigned int max_psk_len) {
  if (secret.key.size() > max_psk_len) return 0;
  std::memcpy(psk, secret.key.data(), secret.key.size());
  return static_cast<unsigned int>(secret.key.size());
}

unsigned int DialerKey(SSL* ssl, const char*, char* identity, unsigned int max_identity_len,
                       unsigned char* psk, unsigned int max_psk_len) {
  const Secret* secret = SecretOf(ssl);
  if (secret == nullptr || secret->identity.size() >= max_identity_len) return 0;
  std::memcpy(identity, secret->identity.c_str(), secret->identity.size() + 1);
  return CopyKey(*secret, psk, max_psk_len);
}

unsigned int AcceptorKey(SSL* ssl, const char* identity, unsigned char* psk,
                         unsigned int max_psk_len) {
  const Secret* secret = SecretOf(ssl);
  if (secret == nullptr || identity == nullptr || secret->identity != identity) return 0;
  return CopyKey(*secret, psk, max_psk_len);
}

int HexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

// The key in `text` (hex digits, trailing whitespace allowed), or an error naming `path`.
Result<std::vector<unsigned char>> ParseKey(const std::string& path, std::string text) {
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) text.pop_back();
  std::vector<unsigned char> key;
  bool hex = text.size() % 2 == 0;
  for (size_t i = 0; hex && i < text.size(); i += 2) {
    int high = HexDigit(text[i]);
    int low = HexDigit(text[i + 1]);
    hex = high >= 0 && low >= 0;
    key.push_back(static_cast<unsigned char>(high * 16 + low));
  }
  OPENSSL_cleanse(text.data(), text.size());
  if (!hex || key.size() < kMinKeyBytes || key.size() > kMaxKeyBytes) {
    OPENSSL_cleanse(key.data(), key.size());
    return InvalidArgument(
        fmt::format("tls: psk_file '{}': must hold one key of {} to {} bytes as hex digits "
                    "(scripts/hasync-certs --psk DIR writes one)",
                    path, kMinKeyBytes, kMaxKeyBytes));
  }
  return key;
}

}  // namespace

Result<std::shared_ptr<asio::ssl::context>> MakePskContext(const std::string& psk_file,
                                                           const std::string& identity) {
  if (identity.empty() || identity.size() > kMaxIdentityBytes) {
    return InvalidArgument(
        fmt::format("tls: the PSK identity must be 1..{} bytes", kMaxIdentityBytes));
  }
  Status readable = CheckReadable("psk_file", psk_file);
  if (!readable.ok()) return readable;
  std::ifstream file(psk_file, std::ios::binary);
  std::string text((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
  Result<std::vector<unsigned char>> key = ParseKey(psk_file, std::move(text));
  if (!key.ok()) return key.status();

  Result<std::shared_ptr<asio::ssl::context>> context = NewTls13Context();
  if (!context.ok()) return context;
  SSL_CTX* ctx = (*context)->native_handle();
  if (SSL_CTX_set_ciphersuites(ctx, kPskCiphersuites) != 1) {
    return IoError("tls: cannot select the PSK ciphersuites: " + TakeOpenSslError());
  }
  auto secret = std::make_unique<Secret>();
  secret->identity = identity;
  secret->key = std::move(key).value();
  if (SecretIndex() < 0 || SSL_CTX_set_ex_data(ctx, SecretIndex(), secret.get()) != 1) {
    return IoError("tls: cannot attach the pre-shared key: " + TakeOpenSslError());
  }
  secret.release();  // owned by the context now (FreeSecret)
  // No certificates in a PSK handshake; a dialer refuses any server certificate
  // (RefuseCertificates). Setting SSL_VERIFY_PEER here would make the acceptor send a
  // CertificateRequest, which TLS 1.3 forbids in a PSK handshake.
  SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, nullptr);
  SSL_CTX_set_psk_client_callback(ctx, DialerKey);
  SSL_CTX_set_psk_server_callback(ctx, AcceptorKey);
  return context;
}

}  // namespace hasync::tls
