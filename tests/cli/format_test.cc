#include "cli/format.h"

#include <gtest/gtest.h>

#include "cli/commands.h"

namespace hasync::cli {
namespace {

using nlohmann::json;

json Status(std::string role, std::string sync, json peer, uint64_t done = 0, uint64_t total = 0) {
  return json{{"ok", true},
              {"node_id", 1},
              {"role", role},
              {"peer", peer},
              {"synced", false},
              {"sync", sync},
              {"gvn", 3},
              {"records", 100000},
              {"digest", "9f86d081884c7d65"},
              {"sync_progress", {{"done", done}, {"total", total}}},
              {"unacked_bytes", 0},
              {"postponed", 0},
              {"hlc", 111411500000000000ull}};
}

json Peer(std::string role, bool in_sync, std::string sync = "idle") {
  return json{
      {"state", "up"}, {"role", role}, {"node_id", 2}, {"in_sync", in_sync}, {"sync", sync}};
}

TEST(FormatStatusTest, IdlePairIsOneShortLine) {
  EXPECT_EQ(FormatStatus(Status("active", "idle", Peer("standby", true))),
            "node 1: active, peer 2 up (standby, in sync), sync idle, gvn 3, 100000 records, "
            "digest 9f86d081884c7d65");
}

TEST(FormatStatusTest, ReconcilingShowsRecordsSentOnTheYieldingNode) {
  json s = Status("standby", "reconciling", Peer("active", false, "reconciling"), 1200, 100000);
  EXPECT_EQ(FormatStatus(s),
            "node 1: standby, peer 2 up (active, reconciling, this node not synced yet), sync "
            "reconciling 1200/100000 records sent, gvn 3, 100000 records, digest "
            "9f86d081884c7d65");
}

TEST(FormatStatusTest, ReconcilingShowsRecordsReceivedAndPostponedWritesOnTheActive) {
  json s = Status("active", "reconciling", Peer("standby", false, "reconciling"), 5, 10);
  s["postponed"] = 3;
  EXPECT_EQ(FormatStatus(s),
            "node 1: active, peer 2 up (standby, reconciling, not in sync), sync reconciling "
            "5/10 records received, gvn 3, 100000 records, digest 9f86d081884c7d65, 3 writes "
            "postponed");
  s["postponed"] = 1;
  EXPECT_NE(FormatStatus(s).find(", 1 write postponed"), std::string::npos) << FormatStatus(s);
}

TEST(FormatStatusTest, BulkSyncProgressSaysWhichWay) {
  json s = Status("active", "bulk_sending", Peer("standby", false, "bulk_receiving"), 7, 9);
  EXPECT_NE(FormatStatus(s).find("peer 2 up (standby, bulk_receiving, not in sync), sync "
                                 "bulk_sending 7/9 records sent,"),
            std::string::npos)
      << FormatStatus(s);
}

TEST(FormatStatusTest, OlderDaemonWithoutTheNewFieldsStillFormats) {
  json s = Status("active", "idle", Peer("standby", true));
  s.erase("postponed");
  s.erase("hlc");
  s["peer"].erase("sync");
  EXPECT_EQ(FormatStatus(s),
            "node 1: active, peer 2 up (standby, in sync), sync idle, gvn 3, 100000 records, "
            "digest 9f86d081884c7d65");
}

TEST(FormatStatusTest, PeerDown) {
  json s = Status("active", "idle", json{{"state", "down"}});
  EXPECT_NE(FormatStatus(s).find("active, peer down, sync idle"), std::string::npos);
}

TEST(RequestTest, IntentIsSentOnlyWhenNotUpdate) {
  Invocation in;
  in.command = "put";
  in.table = "nat";
  in.key = "k";
  in.value = "v";
  EXPECT_FALSE(Request(in).contains("intent")) << Request(in).dump();
  in.intent = "allocate";
  EXPECT_EQ(Request(in)["intent"], "allocate");
  in.command = "del";
  in.intent = "release";
  EXPECT_EQ(Request(in)["intent"], "release");
  EXPECT_EQ(Request(in)["cmd"], "del");
  in.command = "load";
  in.intent = "allocate";
  in.count = 10;
  in.value_size = 4;
  EXPECT_EQ(Request(in)["intent"], "allocate");
  in.command = "get";
  EXPECT_FALSE(Request(in).contains("intent"));
}

// A broken or hostile daemon's answer (found by fuzz_control_response): numbers out of range
// and fields of the wrong type read as absent; nothing throws or overflows.
TEST(FormatStatusTest, MalformedFieldsReadAsAbsent) {
  json s = Status("active", "idle", Peer("standby", true));
  s["postponed"] = 1e300;
  s["unacked_bytes"] = -5;
  s["role"] = 1;
  s["peer"]["in_sync"] = "yes";
  std::string line;
  EXPECT_NO_THROW(line = FormatStatus(s));
  EXPECT_EQ(line.find("postponed"), std::string::npos) << line;
  EXPECT_EQ(line.find("unacked"), std::string::npos) << line;
  json load = {{"seconds", "fast"}, {"count", -1e300}};
  EXPECT_EQ(FormatLoad(load), "loaded 0 records in 0.00 s");
}

}  // namespace
}  // namespace hasync::cli
