// Loading TLS contexts: what works, and that every wrong file is an error naming it.
#include "tls/context.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <string>

#include "tls/test_certs.h"

namespace hasync::tls {
namespace {

using hasync::testing::TestCert;

Credentials Node(const std::string& name) {
  return {TestCert(name + ".crt"), TestCert(name + ".key"), TestCert("ca.crt")};
}

// A file in the test's temporary directory holding `text`; removed with the object.
class TempFile {
 public:
  explicit TempFile(const std::string& text) {
    path_ = ::testing::TempDir() + "hasync-tls-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name();
    std::ofstream(path_) << text;
  }
  ~TempFile() { std::remove(path_.c_str()); }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

void ExpectErrorNaming(const Status& status, Code code, const std::string& file,
                       const std::string& words) {
  EXPECT_EQ(status.code(), code) << status.ToString();
  EXPECT_NE(status.message().find(file), std::string::npos) << status.message();
  EXPECT_NE(status.message().find(words), std::string::npos) << status.message();
}

TEST(CertificateContextTest, LoadsTheLabCertificates) {
  auto context = MakeCertificateContext(Node("node1"));
  ASSERT_TRUE(context.ok()) << context.status().ToString();
  EXPECT_EQ(SSL_CTX_get_min_proto_version((*context)->native_handle()), TLS1_3_VERSION);
  EXPECT_EQ(SSL_CTX_get_verify_mode((*context)->native_handle()),
            SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT);
}

TEST(CertificateContextTest, MissingFileIsNamed) {
  Credentials creds = Node("node1");
  creds.certificate = TestCert("nobody.crt");
  ExpectErrorNaming(MakeCertificateContext(creds).status(), Code::kIo, creds.certificate,
                    "No such file");
  creds = Node("node1");
  creds.ca = TestCert("no-ca.crt");
  ExpectErrorNaming(MakeCertificateContext(creds).status(), Code::kIo, creds.ca, "ca");
}

TEST(CertificateContextTest, KeyOfAnotherCertificateIsRefused) {
  Credentials creds = Node("node1");
  creds.private_key = TestCert("node2.key");
  ExpectErrorNaming(MakeCertificateContext(creds).status(), Code::kInvalidArgument,
                    creds.private_key, "does not match certificate");
}

TEST(CertificateContextTest, FilesThatAreNotPemAreRefused) {
  Credentials creds = Node("node1");
  creds.certificate = TestCert("psk.key");
  ExpectErrorNaming(MakeCertificateContext(creds).status(), Code::kInvalidArgument,
                    creds.certificate, "certificate");
  creds = Node("node1");
  creds.private_key = TestCert("node1.crt");
  ExpectErrorNaming(MakeCertificateContext(creds).status(), Code::kInvalidArgument,
                    creds.private_key, "private_key");
  creds = Node("node1");
  creds.ca = TestCert("psk.key");
  ExpectErrorNaming(MakeCertificateContext(creds).status(), Code::kInvalidArgument, creds.ca, "ca");
}

TEST(PskContextTest, LoadsTheLabKey) {
  auto context = MakePskContext(TestCert("psk.key"), "hasync:test");
  ASSERT_TRUE(context.ok()) << context.status().ToString();
  EXPECT_EQ(SSL_CTX_get_min_proto_version((*context)->native_handle()), TLS1_3_VERSION);
}

TEST(PskContextTest, ShortOrMalformedKeysAreRefused) {
  for (const char* text :
       {"00112233445566778899aabbccddeeff\n",  // 16 bytes
        "not hex at all, and long enough to be a key if it were hex!!!!!!!\n",
        "0011223344556677889900112233445566778899001122334455667788990011f", ""}) {
    TempFile file(text);
    ExpectErrorNaming(MakePskContext(file.path(), "hasync:test").status(), Code::kInvalidArgument,
                      file.path(), "hex");
  }
}

TEST(PskContextTest, KeyWithoutTrailingNewlineIsAccepted) {
  TempFile file("00112233445566778899AABBCCDDEEFF00112233445566778899aabbccddeeff");
  EXPECT_TRUE(MakePskContext(file.path(), "hasync:test").ok());
}

TEST(PskContextTest, MissingFileIsNamed) {
  ExpectErrorNaming(MakePskContext(TestCert("no.key"), "hasync:test").status(), Code::kIo,
                    TestCert("no.key"), "No such file");
}

TEST(PskContextTest, IdentityIsBounded) {
  EXPECT_EQ(MakePskContext(TestCert("psk.key"), "").status().code(), Code::kInvalidArgument);
  EXPECT_EQ(MakePskContext(TestCert("psk.key"), std::string(300, 'x')).status().code(),
            Code::kInvalidArgument);
}

}  // namespace
}  // namespace hasync::tls
