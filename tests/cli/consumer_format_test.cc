// hasyncctl's consumer output: the channel table, the totals and what replays cost against full
// resends, the consumers line of status; and the request the consumers command sends.
#include "cli/consumer_format.h"

#include <gtest/gtest.h>

#include "cli/commands.h"
#include "cli/format.h"

namespace hasync::cli {
namespace {

using nlohmann::json;

json Channel(uint64_t id, std::string name, std::string phase) {
  return json{{"channel", id},
              {"name", name},
              {"table", "nat"},
              {"prefix", "10."},
              {"phase", phase},
              {"sent_op", 1234},
              {"acked_op", 1230},
              {"pending_ops", 4},
              {"replays", 1},
              {"last_replay", "sections"},
              {"last_replay_records", 312},
              {"replayed_records", 312},
              {"replayed_bytes", 40960}};
}

json Counters() {
  return json{{"connections", 3},
              {"refused", 1},
              {"protocol_errors", 0},
              {"silent", 2},
              {"ops", 120},
              {"updates_sent", 118},
              {"records_sent", 5000},
              {"resumes", 3},
              {"resumes_in_sync", 2},
              {"replays", {{"keys", 0}, {"sections", 1}, {"full", 0}}},
              {"replayed_records", 312},
              {"replayed_bytes", 40960},
              {"full_resend_records", 10000},
              {"behind", 0},
              {"dropped", 0},
              {"failover_replayed_records", 312},
              {"failover_replayed_bytes", 40960},
              {"failover_full_resend_records", 10000}};
}

TEST(FormatChannelTest, ColumnsAndLastReplay) {
  EXPECT_EQ(FormatChannel(Channel(281474976710657u, "lc-1", "live")),
            "0x1000000000001      lc-1             nat          10.        live             1234 "
            "      1230        4        1  sections (312 records)");
}

TEST(FormatChannelTest, AwayChannelSaysForHowLong) {
  json c = Channel(7, "lc-2", "away");
  c["away_ms"] = 12500;
  c["last_replay"] = "none";
  EXPECT_NE(FormatChannel(c).find(" away 12s "), std::string::npos) << FormatChannel(c);
  EXPECT_EQ(FormatChannel(c).substr(FormatChannel(c).size() - 3), "  -") << "no replay yet";
}

TEST(FormatChannelTest, ChannelOfAStandbyHasNoName) {
  json c = Channel(7, "", "away");
  EXPECT_EQ(FormatChannel(c).substr(0, 22), "0x7                  -") << FormatChannel(c);
}

TEST(FormatChannelTest, BytesThatAreNotTextShowAsBase64) {
  json c = Channel(7, "lc-2", "live");
  c.erase("prefix");
  c["prefix_base64"] = "/wA=";
  EXPECT_NE(FormatChannel(c).find(" base64:/wA= "), std::string::npos) << FormatChannel(c);
}

TEST(FormatConsumersTest, HeadingTableAndTotals) {
  json r = {{"ok", true},
            {"listen", "127.0.0.1:7402"},
            {"ack_mode", "forwarded"},
            {"connections", 1},
            {"channels", json::array({Channel(1, "lc-1", "live")})},
            {"counters", Counters()}};
  std::string text = FormatConsumers(r);
  EXPECT_EQ(text.substr(0, text.find('\n')),
            "consumers on 127.0.0.1:7402 (ack mode forwarded): 1 channel, 1 connection");
  EXPECT_NE(text.find("\nCHANNEL              NAME"), std::string::npos) << text;
  EXPECT_NE(text.find("LAST REPLAY\n0x1                  lc-1"), std::string::npos) << text;
  EXPECT_NE(text.find("\nops 120, updates 118, records sent 5000; resumes 3 (2 in sync); "
                      "replays: keys 0, sections 1, full 0\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("\nreplayed 312 records, 40960 bytes (a full resend: 10000 records); "
                      "behind 0, dropped 0, refused 1, silent 2, protocol errors 0\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("\nsince this node became active: replayed 312 records, 40960 bytes (a "
                      "full resend: 10000 records)"),
            std::string::npos)
      << text;
}

TEST(FormatConsumersTest, NoChannels) {
  std::string text = FormatConsumers(json{{"ok", true}, {"listen", "127.0.0.1:7402"}});
  EXPECT_NE(text.find("0 channels, 0 connections\nno channels\n"), std::string::npos) << text;
}

TEST(FormatConsumersTest, BrokenAnswerDoesNotThrow) {
  json r = {{"ok", true}, {"channels", 3}, {"counters", "x"}, {"connections", -2}};
  EXPECT_NE(FormatConsumers(r).find("consumers on ? (ack mode ?): 0 channels"), std::string::npos);
  json c = {{"channel", "x"}, {"sent_op", 1e300}, {"away_ms", "y"}, {"phase", "away"}};
  EXPECT_NO_THROW(FormatChannel(c));
}

TEST(FormatConsumerSummaryTest, PhasesThatHaveChannels) {
  json status = {{"consumers",
                  {{"listen", "127.0.0.1:7402"},
                   {"connections", 2},
                   {"channels", 3},
                   {"live", 2},
                   {"replaying", 0},
                   {"behind", 0},
                   {"away", 1}}}};
  EXPECT_EQ(FormatConsumerSummary(status),
            "consumers on 127.0.0.1:7402: 3 channels (2 live, 1 away), 2 connections");
  EXPECT_EQ(FormatConsumerSummary(json{{"node_id", 1}}), "") << "no consumer port";
}

TEST(FormatConsumerSummaryTest, StatusEndsWithTheConsumersLine) {
  json status = {{"node_id", 1},
                 {"role", "active"},
                 {"pools", json::array()},
                 {"consumers", {{"listen", "127.0.0.1:7402"}, {"channels", 1}, {"live", 1}}}};
  std::string text = FormatStatus(status);
  EXPECT_NE(text.find("\nconsumers on 127.0.0.1:7402: 1 channel (1 live), 0 connections"),
            std::string::npos)
      << text;
}

TEST(ConsumersRequestTest, SendsTheCommandAlone) {
  Invocation in;
  in.command = "consumers";
  EXPECT_EQ(Request(in), (json{{"cmd", "consumers"}}));
}

}  // namespace
}  // namespace hasync::cli
