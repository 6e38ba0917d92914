// Handshakes between the contexts over loopback: who is accepted, and what the log line of a
// refused peer says about it.
#include <gtest/gtest.h>

#include <asio/connect.hpp>
#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/read.hpp>
#include <asio/ssl/stream.hpp>
#include <asio/write.hpp>
#include <chrono>
#include <memory>
#include <string>

#include "tls/context.h"
#include "tls/test_certs.h"

namespace hasync::tls {
namespace {

using hasync::testing::TestCert;
using Context = std::shared_ptr<asio::ssl::context>;
using Stream = asio::ssl::stream<asio::ip::tcp::socket>;

// `cert` (a name in the test certificate directory) and its key, trusting `ca`.
Context Certificates(const std::string& cert, const std::string& ca = TestCert("ca.crt")) {
  auto context = MakeCertificateContext({TestCert(cert + ".crt"), TestCert(cert + ".key"), ca});
  EXPECT_TRUE(context.ok()) << context.status().ToString();
  return context.ok() ? *context : nullptr;
}

Context Psk(const std::string& file, const std::string& identity = "hasync:test") {
  auto context = MakePskContext(file, identity);
  EXPECT_TRUE(context.ok()) << context.status().ToString();
  return context.ok() ? *context : nullptr;
}

struct Outcome {
  bool done = false;
  asio::error_code error;  // the handshake's, or the dialer's first read
  std::string failure;     // DescribeHandshakeFailure
  bool wrong_name = false;
  std::string subject;
  std::string version;
  std::string cipher;
};

void Record(Stream& stream, const asio::error_code& ec, Outcome& out) {
  SSL* ssl = stream.native_handle();
  out.done = true;
  out.error = ec;
  if (ec) {
    out.failure = DescribeHandshakeFailure(ssl, ec);
    out.wrong_name = FailedOnPeerName(ssl);
  } else {
    out.subject = PeerSubject(ssl);
    out.version = SSL_get_version(ssl);
    out.cipher = SSL_CIPHER_get_name(SSL_get_current_cipher(ssl));
  }
}

struct Pair {
  Outcome dialer, acceptor;
};

// A dialer and an acceptor over 127.0.0.1; each checks its peer's name when given one. The
// acceptor sends a byte once its handshake is done, and the dialer's outcome waits for it: in
// TLS 1.3 that is when the dialer learns whether the acceptor took its certificate.
Pair Handshake(const Context& dialer_context, const std::string& dialer_expects,
               const Context& acceptor_context, const std::string& acceptor_expects) {
  asio::io_context io;
  asio::ip::tcp::acceptor acceptor(io, {asio::ip::make_address("127.0.0.1"), 0});
  Stream accepted(io, *acceptor_context);
  Stream dialed(io, *dialer_context);
  if (!acceptor_expects.empty()) ExpectPeerName(accepted.native_handle(), acceptor_expects);
  // As PeerLink does: a dialer that expects no name is a pre-shared-key dialer.
  if (!dialer_expects.empty()) {
    ExpectPeerName(dialed.native_handle(), dialer_expects);
  } else {
    RefuseCertificates(dialed.native_handle());
  }
  Pair pair;
  char sent = 'x', received = 0;
  acceptor.async_accept(accepted.next_layer(), [&](asio::error_code ec) {
    if (ec) return Record(accepted, ec, pair.acceptor);
    accepted.async_handshake(Stream::server, [&](asio::error_code hs) {
      Record(accepted, hs, pair.acceptor);
      if (!hs) asio::async_write(accepted, asio::buffer(&sent, 1), [](asio::error_code, size_t) {});
    });
  });
  dialed.next_layer().async_connect(acceptor.local_endpoint(), [&](asio::error_code ec) {
    if (ec) return Record(dialed, ec, pair.dialer);
    dialed.async_handshake(Stream::client, [&](asio::error_code hs) {
      if (hs) return Record(dialed, hs, pair.dialer);
      asio::async_read(dialed, asio::buffer(&received, 1),
                       [&](asio::error_code read, size_t) { Record(dialed, read, pair.dialer); });
    });
  });
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (!(pair.dialer.done && pair.acceptor.done) && std::chrono::steady_clock::now() < deadline) {
    io.run_for(std::chrono::milliseconds(10));
  }
  EXPECT_TRUE(pair.dialer.done && pair.acceptor.done) << "the handshake did not end";
  return pair;
}

TEST(HandshakeTest, MutualCertificatesNamingEachOther) {
  Pair p = Handshake(Certificates("node1"), "node2", Certificates("node2"), "node1");
  ASSERT_FALSE(p.acceptor.error) << p.acceptor.failure;
  ASSERT_FALSE(p.dialer.error) << p.dialer.failure;
  EXPECT_EQ(p.acceptor.subject, "CN=node1");
  EXPECT_EQ(p.dialer.subject, "CN=node2");
  EXPECT_EQ(p.dialer.version, "TLSv1.3");
  EXPECT_EQ(p.acceptor.version, "TLSv1.3");
}

TEST(HandshakeTest, ValidCertificateWithTheWrongNameIsRefused) {
  Pair p = Handshake(Certificates("node3"), "node2", Certificates("node2"), "node1");
  ASSERT_TRUE(p.acceptor.error);
  EXPECT_TRUE(p.acceptor.wrong_name);
  EXPECT_EQ(p.acceptor.failure,
            "certificate verify failed: hostname mismatch; peer presented CN=node3");
  ASSERT_TRUE(p.dialer.error) << "the dialer must learn it was refused";
  EXPECT_FALSE(p.dialer.wrong_name);
  EXPECT_NE(p.dialer.failure.find("the peer refused it"), std::string::npos) << p.dialer.failure;
}

TEST(HandshakeTest, DialerChecksTheAcceptorsNameToo) {
  Pair p = Handshake(Certificates("node1"), "node2", Certificates("node3"), "node1");
  ASSERT_TRUE(p.dialer.error);
  EXPECT_TRUE(p.dialer.wrong_name);
  EXPECT_NE(p.dialer.failure.find("CN=node3"), std::string::npos) << p.dialer.failure;
  EXPECT_TRUE(p.acceptor.error);
}

TEST(HandshakeTest, CertificateFromAnotherCaIsRefused) {
  // It trusts our CA (it might, being public): only its own certificate is wrong.
  Pair p = Handshake(Certificates("other-ca/node1"), "node2", Certificates("node2"), "node1");
  ASSERT_TRUE(p.acceptor.error);
  EXPECT_FALSE(p.acceptor.wrong_name);
  EXPECT_EQ(p.acceptor.failure,
            "certificate verify failed: unable to get local issuer certificate; peer presented "
            "CN=node1");
  EXPECT_TRUE(p.dialer.error);
}

TEST(HandshakeTest, PeerOfAnotherCaRefusesUs) {
  Pair p = Handshake(Certificates("other-ca/node1", TestCert("other-ca/ca.crt")), "node2",
                     Certificates("node2"), "node1");
  ASSERT_TRUE(p.acceptor.error);
  EXPECT_EQ(p.acceptor.failure, "the peer refused it (tlsv1 alert unknown ca)");
  EXPECT_TRUE(p.dialer.failure.starts_with("certificate verify failed: ")) << p.dialer.failure;
  EXPECT_TRUE(p.dialer.failure.ends_with("; peer presented CN=node2")) << p.dialer.failure;
}

TEST(HandshakeTest, CertificateWithoutClientAuthIsRefusedByTheAcceptor) {
  Pair p = Handshake(Certificates("node1-server-only"), "node2", Certificates("node2"), "node1");
  ASSERT_TRUE(p.acceptor.error);
  EXPECT_NE(p.acceptor.failure.find("unsuitable certificate purpose"), std::string::npos)
      << p.acceptor.failure;
}

TEST(HandshakeTest, ExpiredCertificateIsRefused) {
  Pair p = Handshake(Certificates("node1-expired"), "node2", Certificates("node2"), "node1");
  ASSERT_TRUE(p.acceptor.error);
  EXPECT_NE(p.acceptor.failure.find("certificate has expired"), std::string::npos)
      << p.acceptor.failure;
}

TEST(HandshakeTest, DialerWithoutCertificateIsRefused) {
  // A TLS client that trusts the CA but has no certificate of its own.
  Pair p = Handshake(Psk(TestCert("psk.key")), "", Certificates("node2"), "node1");
  ASSERT_TRUE(p.acceptor.error);
  EXPECT_TRUE(p.dialer.error);
}

TEST(HandshakeTest, PreSharedKeyNegotiatesTls13) {
  Pair p = Handshake(Psk(TestCert("psk.key")), "", Psk(TestCert("psk.key")), "");
  ASSERT_FALSE(p.acceptor.error) << p.acceptor.failure;
  ASSERT_FALSE(p.dialer.error) << p.dialer.failure;
  EXPECT_EQ(p.dialer.version, "TLSv1.3");
  EXPECT_EQ(p.acceptor.cipher, "TLS_AES_128_GCM_SHA256");
  EXPECT_EQ(p.acceptor.subject, "") << "no certificate in PSK mode";
}

TEST(HandshakeTest, WrongPreSharedKeyIsRefused) {
  std::string other = ::testing::TempDir() + "hasync-other-psk.key";
  {
    std::FILE* f = std::fopen(other.c_str(), "w");
    ASSERT_NE(f, nullptr);
    std::fputs("ffeeddccbbaa99887766554433221100ffeeddccbbaa99887766554433221100\n", f);
    std::fclose(f);
  }
  Pair p = Handshake(Psk(other), "", Psk(TestCert("psk.key")), "");
  std::remove(other.c_str());
  EXPECT_TRUE(p.acceptor.error);
  EXPECT_TRUE(p.dialer.error);
}

// An impostor answering on the peer's address with any certificate, ignoring the offered PSK:
// TLS 1.3 lets a server do that, so the PSK dialer must refuse it (found in review).
TEST(HandshakeTest, PskDialerRefusesAServerThatAnswersWithACertificate) {
  Context impostor = Certificates("node2");
  SSL_CTX_set_verify(impostor->native_handle(), SSL_VERIFY_NONE, nullptr);
  Pair p = Handshake(Psk(TestCert("psk.key")), "", impostor, "");
  EXPECT_TRUE(p.dialer.error) << "the PSK dialer accepted a certificate-authenticated server";
}

TEST(HandshakeTest, PreSharedKeyOfAnotherClusterIsRefused) {
  Pair p = Handshake(Psk(TestCert("psk.key"), "hasync:other"), "", Psk(TestCert("psk.key")), "");
  EXPECT_TRUE(p.acceptor.error);
  EXPECT_TRUE(p.dialer.error);
}

}  // namespace
}  // namespace hasync::tls
