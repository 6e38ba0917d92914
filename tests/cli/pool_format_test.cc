// hasyncctl's pool output: leases with relative times against the daemon's clock, the usage
// table, list pages, the status lines; and the requests the pool commands send.
#include "cli/pool_format.h"

#include <gtest/gtest.h>

#include "cli/commands.h"
#include "cli/format.h"

namespace hasync::cli {
namespace {

using nlohmann::json;

constexpr uint64_t kNow = 1'700'000'000'000;

json Lease(std::string address, std::string client, std::string state, uint64_t expires_ms,
           bool own_share = true) {
  return json{{"address", address},        {"client", client},         {"state", state},
              {"granted_ms", kNow - 1000}, {"expires_ms", expires_ms}, {"own_share", own_share},
              {"extended", false}};
}

TEST(FormatDurationTest, LargestUnitsFirst) {
  EXPECT_EQ(FormatDuration(0), "0s");
  EXPECT_EQ(FormatDuration(999), "0s");
  EXPECT_EQ(FormatDuration(3000), "3s");
  EXPECT_EQ(FormatDuration((59 * 60 + 12) * 1000), "59m12s");
  EXPECT_EQ(FormatDuration(3600 * 1000), "1h0m0s");
  EXPECT_EQ(FormatDuration((2 * 86400 + 3 * 3600 + 5) * 1000), "2d3h0m5s");
  EXPECT_EQ(FormatDuration(UINT64_MAX), "213503982334d14h25m51s");
}

TEST(FormatLeaseTest, LeasedExpiresIn) {
  EXPECT_EQ(FormatLease(Lease("10.0.0.7", "aa:bb:cc:dd:ee:01", "leased", kNow + 3552000), kNow),
            "10.0.0.7         aa:bb:cc:dd:ee:01  leased    expires in 59m12s");
}

TEST(FormatLeaseTest, PeersShareIsFlagged) {
  EXPECT_EQ(FormatLease(Lease("10.0.0.8", "c2", "leased", kNow + 1000, false), kNow),
            "10.0.0.8         c2                 leased    expires in 1s (peer's share)");
}

TEST(FormatLeaseTest, ReleasedIsReservedThenEnded) {
  EXPECT_EQ(FormatLease(Lease("10.0.0.9", "c3", "released", kNow + 598000), kNow),
            "10.0.0.9         c3                 released  reserved for 9m58s");
  EXPECT_EQ(FormatLease(Lease("10.0.0.9", "c3", "expired", kNow - 3000), kNow),
            "10.0.0.9         c3                 expired   ended 3s ago");
  EXPECT_EQ(FormatLease(Lease("10.0.0.9", "c3", "leased", kNow), kNow),
            "10.0.0.9         c3                 leased    ended 0s ago");
}

TEST(FormatLeaseTest, AnswerIsMeasuredAgainstTheDaemonsClock) {
  json answer = {{"ok", true},
                 {"pool", "lan"},
                 {"now_ms", kNow},
                 {"lease", Lease("2001:db8::7", "c1", "leased", kNow + 60000)}};
  EXPECT_EQ(FormatLeaseAnswer(answer),
            "2001:db8::7      c1                 leased    expires in 1m0s");
}

// A broken or hostile daemon (fuzz_control_response): wrong types read as absent, nothing
// throws, huge numbers do not overflow.
TEST(FormatLeaseTest, MalformedAnswersStillFormat) {
  for (const json& answer : {json::object(), json{{"lease", 3}}, json{{"lease", json::array()}},
                             json{{"now_ms", -1}, {"lease", {{"expires_ms", 1e300}}}},
                             json{{"now_ms", UINT64_MAX}, {"lease", {{"expires_ms", 1}}}},
                             json{{"now_ms", 1}, {"lease", {{"expires_ms", UINT64_MAX}}}},
                             json{{"lease", {{"address", 7}, {"own_share", "no"}}}}}) {
    std::string line;
    EXPECT_NO_THROW(line = FormatLeaseAnswer(answer)) << answer;
    EXPECT_EQ(line.find("peer's share"), std::string::npos) << line;
  }
  EXPECT_NO_THROW(FormatLeaseList(json{{"leases", {1, "x", nullptr}}, {"next", 5}}));
  EXPECT_NO_THROW(FormatPoolUsage(json{{"usage", 1}, {"counters", {{"allocated", -3}}}}));
  EXPECT_EQ(FormatPoolSummary(json{{"name", "x"}}), "");
  EXPECT_EQ(FormatPoolSummary(json::array({1})), "pool ?: ?, 0 leased, 0 free");
}

TEST(FormatLeaseListTest, OneLinePerLeaseAndTheNextPage) {
  json answer = {{"ok", true},
                 {"pool", "lan"},
                 {"now_ms", kNow},
                 {"leases",
                  {Lease("10.0.0.1", "c1", "leased", kNow + 5000),
                   Lease("10.0.0.2", "c2", "released", kNow + 7000, false)}},
                 {"next", "10.0.0.5"}};
  EXPECT_EQ(FormatLeaseList(answer),
            "10.0.0.1         c1                 leased    expires in 5s\n"
            "10.0.0.2         c2                 released  reserved for 7s (peer's share)\n"
            "more: hasyncctl pool list lan --from 10.0.0.5");
  EXPECT_EQ(FormatLeaseList(json{{"ok", true}, {"leases", json::array()}}), "no leases");
}

TEST(FormatPoolUsageTest, SettingsCountsAndCounters) {
  json answer = {{"ok", true},
                 {"pool", "lan"},
                 {"usage",
                  {{"size", 254},
                   {"leased", 3},
                   {"reserved", 1},
                   {"free", 250},
                   {"own_share_size", 127},
                   {"own_share_free", 125},
                   {"outside", 0},
                   {"scope", "own-share"},
                   {"partner_down", false},
                   {"duplicates", 0},
                   {"share", "odd-even"},
                   {"lease_time_s", 3600},
                   {"grace_s", 600},
                   {"durability", "replicated"}}},
                 {"counters",
                  {{"allocated", 4},
                   {"renewed", 2},
                   {"released", 1},
                   {"expired", 0},
                   {"reclaimed", 0},
                   {"exhausted", 0},
                   {"refused", 1},
                   {"waited", 0},
                   {"wait_failed", 0},
                   {"rebuilds", 1},
                   {"partner_down", 0}}}};
  EXPECT_EQ(FormatPoolUsage(answer),
            "pool lan: own-share, share odd-even, lease 3600 s, grace 600 s, replicated\n"
            "  addresses      254\n"
            "  leased         3\n"
            "  reserved       1\n"
            "  free           250\n"
            "  own share      127, 125 free\n"
            "  outside        0\n"
            "  partner down   no\n"
            "  duplicates     0\n"
            "  allocations 4, renewals 2, releases 1, expirations 0, reclaims 0, exhausted 0, "
            "refused 1, waited 0 (0 failed)");
}

TEST(FormatStatusTest, PoolsAreListedAfterTheStatusLine) {
  json s = {{"ok", true},
            {"node_id", 1},
            {"role", "active"},
            {"peer", {{"state", "down"}}},
            {"sync", "idle"},
            {"gvn", 3},
            {"records", 3},
            {"digest", "00"},
            {"pools",
             {{{"name", "lan"}, {"scope", "own-share"}, {"leased", 3}, {"free", 250}},
              {{"name", "v6"}, {"scope", "own-share"}, {"leased", 0}, {"free", 256}}}}};
  EXPECT_EQ(FormatStatus(s),
            "node 1: active, peer down, sync idle, gvn 3, 3 records, digest 00\n"
            "pool lan: own-share, 3 leased, 250 free\n"
            "pool v6: own-share, 0 leased, 256 free");
  s["pools"] = json::array();
  EXPECT_EQ(FormatStatus(s), "node 1: active, peer down, sync idle, gvn 3, 3 records, digest 00");
}

TEST(PoolRequestTest, EachCommandSendsItsFields) {
  Invocation in;
  in.pool = "lan";
  in.client = "c1";
  in.command = "pool.alloc";
  EXPECT_EQ(Request(in), (json{{"cmd", "pool.alloc"}, {"pool", "lan"}, {"client", "c1"}}));
  in.address = "10.0.0.1";
  in.command = "pool.renew";
  EXPECT_EQ(
      Request(in),
      (json{{"cmd", "pool.renew"}, {"pool", "lan"}, {"client", "c1"}, {"address", "10.0.0.1"}}));
  in.command = "pool.release";
  EXPECT_EQ(Request(in)["cmd"], "pool.release");
  EXPECT_EQ(Request(in)["address"], "10.0.0.1");
  in.command = "pool.partner_down";
  EXPECT_FALSE(Request(in).contains("pool"));

  Invocation show;
  show.command = "pool.show";
  show.pool = "lan";
  EXPECT_EQ(Request(show), (json{{"cmd", "pool.show"}, {"pool", "lan"}}));
  show.address = "10.0.0.1";
  EXPECT_EQ(Request(show), (json{{"cmd", "pool.show"}, {"pool", "lan"}, {"address", "10.0.0.1"}}));

  Invocation list;
  list.command = "pool.list";
  list.pool = "lan";
  EXPECT_EQ(Request(list), (json{{"cmd", "pool.list"}, {"pool", "lan"}, {"limit", 100}}));
  list.from = "10.0.0.5";
  list.limit = 7;
  EXPECT_EQ(Request(list),
            (json{{"cmd", "pool.list"}, {"pool", "lan"}, {"from", "10.0.0.5"}, {"limit", 7}}));
}

}  // namespace
}  // namespace hasync::cli
