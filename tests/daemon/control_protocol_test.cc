#include "daemon/control_protocol.h"

#include <gtest/gtest.h>

#include "daemon/encoding.h"

namespace hasync::daemon {
namespace {

using nlohmann::json;

TEST(ControlProtocolTest, PutWithAllFields) {
  ParsedRequest p = ParseRequest(
      R"({"cmd":"put","table":"nat","key":"10.0.0.1:1234","value":"v","replicated":true,"id":7})");
  ASSERT_TRUE(p.error.ok()) << p.error.ToString();
  EXPECT_EQ(p.request.command, Command::kPut);
  EXPECT_EQ(p.request.table, "nat");
  EXPECT_EQ(p.request.key, "10.0.0.1:1234");
  EXPECT_EQ(p.request.value, "v");
  EXPECT_TRUE(p.request.replicated);
  EXPECT_EQ(p.id, 7);
}

TEST(ControlProtocolTest, IntentDefaultsToUpdate) {
  EXPECT_EQ(ParseRequest(R"({"cmd":"put","table":"t","key":"k","value":"v"})").request.intent,
            WriteIntent::kUpdate);
  EXPECT_EQ(ParseRequest(R"({"cmd":"del","table":"t","key":"k"})").request.intent,
            WriteIntent::kUpdate);
  EXPECT_EQ(ParseRequest(R"({"cmd":"load","table":"t","count":1,"value_size":1})").request.intent,
            WriteIntent::kUpdate);
}

TEST(ControlProtocolTest, IntentIsParsedForPutDelAndLoad) {
  ParsedRequest p =
      ParseRequest(R"({"cmd":"put","table":"t","key":"k","value":"v","intent":"allocate"})");
  ASSERT_TRUE(p.error.ok()) << p.error.ToString();
  EXPECT_EQ(p.request.intent, WriteIntent::kAllocate);
  p = ParseRequest(R"({"cmd":"del","table":"t","key":"k","intent":"release","replicated":true})");
  ASSERT_TRUE(p.error.ok()) << p.error.ToString();
  EXPECT_EQ(p.request.intent, WriteIntent::kRelease);
  EXPECT_TRUE(p.request.replicated);
  p = ParseRequest(R"({"cmd":"put","table":"t","key":"k","value":"v","intent":"update"})");
  ASSERT_TRUE(p.error.ok()) << p.error.ToString();
  EXPECT_EQ(p.request.intent, WriteIntent::kUpdate);
  p = ParseRequest(R"({"cmd":"load","table":"t","count":3,"value_size":8,"intent":"allocate"})");
  ASSERT_TRUE(p.error.ok()) << p.error.ToString();
  EXPECT_EQ(p.request.intent, WriteIntent::kAllocate);
}

TEST(ControlProtocolTest, BadIntentIsAnError) {
  for (const char* line :
       {R"({"cmd":"put","table":"t","key":"k","value":"v","intent":"free"})",
        R"({"cmd":"put","table":"t","key":"k","value":"v","intent":"Allocate"})",
        R"({"cmd":"del","table":"t","key":"k","intent":1})",
        R"({"cmd":"del","table":"t","key":"k","intent":null})",
        R"({"cmd":"load","table":"t","count":1,"value_size":1,"intent":"release "})"}) {
    ParsedRequest p = ParseRequest(line);
    EXPECT_EQ(p.error.code(), Code::kInvalidArgument) << line;
    EXPECT_EQ(p.error.message(), R"("intent" must be "update", "allocate" or "release")") << line;
  }
}

TEST(ControlProtocolTest, Base64KeyAndValueAreDecoded) {
  ParsedRequest p =
      ParseRequest(R"({"cmd":"put","table":"t","key_base64":"AP8=","value_base64":"gICA"})");
  ASSERT_TRUE(p.error.ok()) << p.error.ToString();
  EXPECT_EQ(p.request.key, std::string("\x00\xff", 2));
  EXPECT_EQ(p.request.value, "\x80\x80\x80");
}

TEST(ControlProtocolTest, MalformedJsonIsAnError) {
  ParsedRequest p = ParseRequest(R"({"cmd":"status")");
  EXPECT_EQ(p.error.code(), Code::kInvalidArgument);
  EXPECT_EQ(p.error.message(), "malformed JSON");
}

TEST(ControlProtocolTest, UnknownCommandKeepsTheIdForTheError) {
  ParsedRequest p = ParseRequest(R"({"cmd":"reboot","id":"abc"})");
  EXPECT_EQ(p.error.code(), Code::kInvalidArgument);
  EXPECT_NE(p.error.message().find("unknown command \"reboot\""), std::string::npos);
  json response = ErrorResponse(p.id, p.error);
  EXPECT_EQ(response["id"], "abc");
  EXPECT_EQ(response["ok"], false);
  EXPECT_EQ(response["code"], "invalid_argument");
}

TEST(ControlProtocolTest, RequestMustBeAnObjectWithACommand) {
  EXPECT_FALSE(ParseRequest("[1,2]").error.ok());
  EXPECT_FALSE(ParseRequest(R"({"id":1})").error.ok());
  EXPECT_FALSE(ParseRequest(R"({"cmd":3})").error.ok());
}

TEST(ControlProtocolTest, MissingOrMistypedFieldsAreNamed) {
  EXPECT_NE(ParseRequest(R"({"cmd":"get","key":"k"})").error.message().find("\"table\""),
            std::string::npos);
  EXPECT_NE(ParseRequest(R"({"cmd":"get","table":"t"})").error.message().find("\"key\""),
            std::string::npos);
  EXPECT_NE(ParseRequest(R"({"cmd":"put","table":"t","key":"k"})").error.message().find("value"),
            std::string::npos);
  EXPECT_NE(ParseRequest(R"({"cmd":"put","table":"t","key":"k","value":"v","replicated":1})")
                .error.message()
                .find("replicated"),
            std::string::npos);
  EXPECT_FALSE(ParseRequest(R"({"cmd":"get","table":"","key":"k"})").error.ok());
  EXPECT_FALSE(ParseRequest(R"({"cmd":"get","table":"t","key":7})").error.ok());
  EXPECT_FALSE(ParseRequest(R"({"cmd":"get","table":"t","key_base64":"!!!!"})").error.ok());
}

TEST(ControlProtocolTest, LoadValidatesCountAndSize) {
  ParsedRequest p = ParseRequest(R"({"cmd":"load","table":"t","count":10,"value_size":32})");
  ASSERT_TRUE(p.error.ok()) << p.error.ToString();
  EXPECT_EQ(p.request.count, 10u);
  EXPECT_EQ(p.request.value_size, 32u);
  EXPECT_EQ(p.request.prefix, "key-");
  EXPECT_FALSE(ParseRequest(R"({"cmd":"load","table":"t","count":-1,"value_size":1})").error.ok());
  EXPECT_FALSE(ParseRequest(R"({"cmd":"load","table":"t","count":1})").error.ok());
  EXPECT_FALSE(ParseRequest(R"({"cmd":"load","table":"t","count":1000000000000,"value_size":1})")
                   .error.ok());
}

TEST(ControlProtocolTest, DigestAndDumpTakeAnOptionalTable) {
  EXPECT_EQ(ParseRequest(R"({"cmd":"dump"})").request.table, "");
  EXPECT_EQ(ParseRequest(R"({"cmd":"digest","table":"nat"})").request.table, "nat");
}

TEST(ControlProtocolTest, StatusHasExactlyTheDocumentedKeys) {
  core::NodeStatus s{};
  s.node_id = 1;
  s.role = Role::kActive;
  s.sync = SyncState::kBulkSending;
  s.peer.connected = true;
  s.peer.node_id = 2;
  s.peer.role = Role::kStandby;
  s.peer.sync = SyncState::kBulkReceiving;
  s.gvn = 3;
  s.records = 100000;
  s.digest = 0x9f;
  s.sync_done = 5;
  s.sync_total = 10;
  s.unacked_bytes = 42;
  s.postponed = 4;
  s.hlc = (uint64_t{1700000000000} << 16) | 3;
  json r = StatusResponse(7, s);
  EXPECT_EQ(r["node_id"], 1);
  EXPECT_EQ(r["role"], "active");
  EXPECT_EQ(r["peer"], (json{{"state", "up"},
                             {"role", "standby"},
                             {"node_id", 2},
                             {"in_sync", false},
                             {"sync", "bulk_receiving"}}));
  EXPECT_EQ(r["sync"], "bulk_sending");
  EXPECT_EQ(r["gvn"], 3);
  EXPECT_EQ(r["records"], 100000);
  EXPECT_EQ(r["digest"], "000000000000009f");
  EXPECT_EQ(r["sync_progress"], (json{{"done", 5}, {"total", 10}}));
  EXPECT_EQ(r["unacked_bytes"], 42);
  EXPECT_EQ(r["synced"], false);
  EXPECT_EQ(r["postponed"], 4);
  EXPECT_EQ(r["hlc"].get<uint64_t>(), (uint64_t{1700000000000} << 16) | 3) << "exact, not a double";
  EXPECT_EQ(r["id"], 7);
  EXPECT_EQ(r.size(), 14u) << r.dump();  // the twelve documented keys, ok and id
}

TEST(ControlProtocolTest, StatusShowsReconciling) {
  core::NodeStatus s{};
  s.role = Role::kActive;
  s.sync = SyncState::kReconciling;
  s.peer.connected = true;
  s.peer.sync = SyncState::kReconciling;
  s.sync_done = 1200;
  s.sync_total = 100000;
  json r = StatusResponse(nullptr, s);
  EXPECT_EQ(r["sync"], "reconciling");
  EXPECT_EQ(r["peer"]["sync"], "reconciling");
  EXPECT_EQ(r["sync_progress"], (json{{"done", 1200}, {"total", 100000}}));
  EXPECT_FALSE(r.contains("id"));
}

TEST(ControlProtocolTest, BinaryValuesAreBase64InDumpLines) {
  json line = RecordLine("t", "k", std::string("\xff\x00z", 3), 9);
  EXPECT_FALSE(line.contains("value"));
  EXPECT_EQ(line["value_base64"], "/wB6");
  EXPECT_EQ(line["key"], "k");
  EXPECT_EQ(GetBytes(line, "value").value(), std::string("\xff\x00z", 3));
}

TEST(ControlProtocolTest, ControlCharactersStayJsonStrings) {
  std::string value = std::string("a\nb\"c\\d\x01", 8);
  json line = RecordLine("t", "k", value, 1);
  std::string text = Serialize(line);
  EXPECT_EQ(text.find('\n'), text.size() - 1) << "one line per response";
  EXPECT_NE(text.find("\\u0001"), std::string::npos) << text;
  EXPECT_EQ(json::parse(text)["value"], value);
}

TEST(ControlProtocolTest, SerializeNeverThrowsOnInvalidUtf8TableNames) {
  json r = OkResponse(nullptr);
  r["table"] = std::string("\xc3\x28");  // not UTF-8; only reachable through a table name
  EXPECT_NO_THROW(Serialize(r));
}

TEST(EncodingTest, Utf8Validation) {
  EXPECT_TRUE(IsValidUtf8(""));
  EXPECT_TRUE(IsValidUtf8("plain ascii"));
  EXPECT_TRUE(IsValidUtf8("h\xc3\xa9llo \xe2\x82\xac \xf0\x9f\x98\x80"));
  EXPECT_FALSE(IsValidUtf8("\xc3"));              // truncated
  EXPECT_FALSE(IsValidUtf8("\xc0\xaf"));          // overlong '/'
  EXPECT_FALSE(IsValidUtf8("\xed\xa0\x80"));      // UTF-16 surrogate
  EXPECT_FALSE(IsValidUtf8("\xf4\x90\x80\x80"));  // past U+10FFFF
  EXPECT_FALSE(IsValidUtf8("\xff"));
}

TEST(EncodingTest, Base64RoundTripsEveryLength) {
  std::string bytes;
  for (int i = 0; i < 300; ++i) {
    Result<std::string> back = Base64Decode(Base64Encode(bytes));
    ASSERT_TRUE(back.ok());
    ASSERT_EQ(back.value(), bytes);
    bytes += static_cast<char>(i * 37);
  }
  EXPECT_EQ(Base64Encode("foob"), "Zm9vYg==");
  EXPECT_EQ(Base64Encode("fooba"), "Zm9vYmE=");
  EXPECT_FALSE(Base64Decode("Zm9").ok());
  EXPECT_FALSE(Base64Decode("Zm=v").ok());
  EXPECT_FALSE(Base64Decode("Z===").ok());
}

TEST(ControlProtocolTest, LoadValuesAreDeterministicAndPrintable) {
  std::string a, b;
  LoadValue(42, 100, &a);
  LoadValue(42, 100, &b);
  EXPECT_EQ(a, b);
  EXPECT_EQ(a.size(), 100u);
  LoadValue(43, 100, &b);
  EXPECT_NE(a, b);
  EXPECT_TRUE(IsValidUtf8(a));
}

TEST(ControlProtocolTest, PoolCommandsAndTheirFields) {
  ParsedRequest p = ParseRequest(R"({"cmd":"pool.alloc","pool":"lan","client":"aa:bb","id":1})");
  ASSERT_TRUE(p.error.ok()) << p.error.ToString();
  EXPECT_EQ(p.request.command, Command::kPoolAlloc);
  EXPECT_TRUE(IsPoolCommand(p.request.command));
  EXPECT_EQ(p.request.pool, "lan");
  EXPECT_EQ(p.request.client, "aa:bb");
  p = ParseRequest(R"({"cmd":"pool.renew","pool":"lan","client":"c","address":"10.0.0.1"})");
  ASSERT_TRUE(p.error.ok()) << p.error.ToString();
  EXPECT_EQ(p.request.command, Command::kPoolRenew);
  EXPECT_EQ(p.request.address, "10.0.0.1");
  p = ParseRequest(R"({"cmd":"pool.release","pool":"lan","client":"c","address":"10.0.0.1"})");
  EXPECT_EQ(p.request.command, Command::kPoolRelease);
  p = ParseRequest(R"({"cmd":"pool.show","pool":"lan"})");
  ASSERT_TRUE(p.error.ok()) << p.error.ToString();
  EXPECT_TRUE(p.request.client.empty() && p.request.address.empty());
  p = ParseRequest(R"({"cmd":"pool.list","pool":"lan"})");
  ASSERT_TRUE(p.error.ok()) << p.error.ToString();
  EXPECT_EQ(p.request.limit, kDefaultPoolListLimit);
  p = ParseRequest(R"({"cmd":"pool.list","pool":"lan","from":"10.0.0.9","limit":10000})");
  ASSERT_TRUE(p.error.ok()) << p.error.ToString();
  EXPECT_EQ(p.request.from, "10.0.0.9");
  EXPECT_EQ(p.request.limit, 10000u);
  p = ParseRequest(R"({"cmd":"pool.partner_down"})");
  ASSERT_TRUE(p.error.ok()) << p.error.ToString();
  EXPECT_EQ(p.request.command, Command::kPoolPartnerDown);
  EXPECT_FALSE(IsPoolCommand(Command::kStatus));
}

TEST(ControlProtocolTest, BadPoolRequestsAreNamed) {
  struct Case {
    const char* line;
    const char* error;
  };
  for (const Case& c : {
           Case{R"({"cmd":"pool.alloc","client":"c"})", R"(missing "pool")"},
           Case{R"({"cmd":"pool.alloc","pool":"lan"})", R"(missing "client")"},
           Case{R"({"cmd":"pool.alloc","pool":"","client":"c"})", R"("pool" must be)"},
           Case{R"({"cmd":"pool.alloc","pool":"lan","client":7})", R"("client" must be)"},
           Case{R"({"cmd":"pool.renew","pool":"lan","client":"c"})", R"(missing "address")"},
           Case{R"({"cmd":"pool.release","pool":"lan","address":"10.0.0.1"})",
                R"(missing "client")"},
           Case{R"({"cmd":"pool.show","pool":"lan","client":"c","address":"10.0.0.1"})",
                "not both"},
           Case{R"({"cmd":"pool.list","pool":"lan","limit":0})", "from 1 to 10000"},
           Case{R"({"cmd":"pool.list","pool":"lan","limit":10001})", "from 0 to 10000"},
           Case{R"({"cmd":"pool.list","pool":"lan","limit":-1})", "10000"},
           Case{R"({"cmd":"pool.list","pool":"lan","from":null})", R"("from" must be)"},
       }) {
    ParsedRequest p = ParseRequest(c.line);
    EXPECT_EQ(p.error.code(), Code::kInvalidArgument) << c.line;
    EXPECT_NE(p.error.message().find(c.error), std::string::npos)
        << c.line << ": " << p.error.message();
  }
}

TEST(ControlProtocolTest, UnknownCommandListsThePoolCommands) {
  std::string message = ParseRequest(R"({"cmd":"pool"})").error.message();
  EXPECT_NE(message.find("pool.alloc"), std::string::npos) << message;
  EXPECT_NE(message.find("pool.partner_down"), std::string::npos) << message;
}

TEST(ControlProtocolTest, ExhaustedHasItsSlug) {
  EXPECT_EQ(CodeSlug(Code::kExhausted), "exhausted");
  EXPECT_EQ(ErrorResponse(nullptr, Exhausted("pool lan: all 4 addresses are held"))["code"],
            "exhausted");
}

}  // namespace
}  // namespace hasync::daemon
