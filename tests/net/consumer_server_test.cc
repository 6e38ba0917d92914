// The consumer port on real sockets: two Replicas on loopback with consumer ports, consumers
// (hasync::Consumer, and RawConsumer for what the library never sends) following the active
// across a switchover and a stop, and the port's bounds and options.
#include <gtest/gtest.h>
#include <spdlog/spdlog.h>

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "hasync/consumer.h"
#include "hasync/node.h"
#include "net/consumer_test_client.h"
#include "net/replica_test_util.h"

namespace hasync::testing {
namespace {

using Records = std::map<std::string, std::string>;

ReplicaOptions WithConsumerPort(NodeId id, uint8_t priority) {
  ReplicaOptions o = LoopbackOptions(id, priority);
  o.consumers.listen = "127.0.0.1:0";
  return o;
}

// What a consumer holds, applied from its batches (on the consumer's thread).
class Mirror {
 public:
  Consumer::BatchCallback Callback() {
    return [this](const ConsumerBatch& batch) {
      std::lock_guard<std::mutex> lock(mu_);
      for (const ConsumerChange& c : batch.changes) {
        if (c.deleted) {
          records_.erase(std::string(c.key));
        } else {
          records_[std::string(c.key)] = std::string(c.value);
        }
      }
    };
  }
  Records records() const {
    std::lock_guard<std::mutex> lock(mu_);
    return records_;
  }

 private:
  mutable std::mutex mu_;
  Records records_;
};

Records TableOf(Replica& r, const std::string& table, const std::string& prefix = "") {
  Records out;
  EXPECT_TRUE(r.ForEach(table, [&](std::string_view k, std::string_view v) {
                 if (k.starts_with(prefix)) out[std::string(k)] = std::string(v);
               }).ok());
  return out;
}

class ConsumerServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    spdlog::set_level(spdlog::level::err);
    CreateLoopbackPair(WithConsumerPort(1, 200), WithConsumerPort(2, 100), &active_, &standby_);
    ASSERT_TRUE(active_ && standby_);
    ASSERT_TRUE(standby_->Start().ok());
    ASSERT_TRUE(active_->Start().ok());
    ASSERT_TRUE(Eventually([&] { return ActiveWithStandbyInSync(*active_); }));
    ASSERT_TRUE(active_->Put("nat", "first", "0").ok());
  }

  // A consumer of `table` that knows both nodes' consumer ports, started.
  std::unique_ptr<Consumer> Follow(const std::string& table, Mirror& mirror,
                                   const std::string& prefix = "") {
    ConsumerOptions o;
    o.endpoints = {"127.0.0.1:" + std::to_string(active_->consumer_port()),
                   "127.0.0.1:" + std::to_string(standby_->consumer_port())};
    o.table = table;
    o.prefix = prefix;
    o.name = "test-consumer";
    o.reconnect_delay = 20ms;
    Result<std::unique_ptr<Consumer>> made = Consumer::Create(o, mirror.Callback());
    EXPECT_TRUE(made.ok()) << made.status().ToString();
    if (!made.ok()) return nullptr;
    EXPECT_TRUE((*made)->Start().ok());
    return std::move(made).value();
  }

  void Write(Replica& r, int from, int to) {
    for (int i = from; i < to; ++i) {
      ASSERT_TRUE(r.Put("nat", "k" + std::to_string(i), "v" + std::to_string(i)).ok());
    }
  }

  std::unique_ptr<Replica> active_;
  std::unique_ptr<Replica> standby_;
};

TEST_F(ConsumerServerTest, LiveUpdatesReachTheConsumer) {
  Mirror mirror;
  std::unique_ptr<Consumer> consumer = Follow("nat", mirror);
  ASSERT_TRUE(consumer);
  ASSERT_TRUE(Eventually([&] { return consumer->GetStatus().connected; }));
  Write(*active_, 0, 50);
  ASSERT_TRUE(active_->Erase("nat", "k7").ok());
  ASSERT_TRUE(active_->Put("other", "x", "y").ok());  // another table: not this consumer's
  EXPECT_TRUE(Eventually([&] { return mirror.records() == TableOf(*active_, "nat"); }));
  EXPECT_EQ(mirror.records().size(), 50u);
  EXPECT_EQ(consumer->GetStatus().node, "127.0.0.1:" + std::to_string(active_->consumer_port()));
}

TEST_F(ConsumerServerTest, ExistingRecordsAndOnlyThePrefixsKeys) {
  Write(*active_, 0, 20);
  ASSERT_TRUE(active_->Put("nat", "a-only", "1").ok());
  Mirror mirror;
  std::unique_ptr<Consumer> consumer = Follow("nat", mirror, "k1");
  ASSERT_TRUE(consumer);
  ASSERT_TRUE(active_->Put("nat", "k1x", "late").ok());
  Records expected = TableOf(*active_, "nat", "k1");
  EXPECT_EQ(expected.size(), 12u);  // k1, k10..k19, k1x
  EXPECT_TRUE(Eventually([&] { return mirror.records() == expected; }));
}

TEST_F(ConsumerServerTest, InSyncConsumerFollowsASwitchoverWithoutReplay) {
  Mirror mirror;
  std::unique_ptr<Consumer> consumer = Follow("nat", mirror);
  ASSERT_TRUE(consumer);
  Write(*active_, 0, 30);
  ASSERT_TRUE(Eventually([&] {
    ConsumerStatus s = consumer->GetStatus();
    return mirror.records() == TableOf(*active_, "nat") && s.acked_op == s.last_op;
  }));
  // Give the last ack the time to reach the standby (forwarded at the active's next turn).
  std::this_thread::sleep_for(200ms);
  uint64_t replays = consumer->GetStatus().replays;
  ASSERT_TRUE(active_->Switchover().ok());
  std::string new_active = "127.0.0.1:" + std::to_string(standby_->consumer_port());
  ASSERT_TRUE(Eventually([&] {
    ConsumerStatus s = consumer->GetStatus();
    return s.connected && s.node == new_active;
  })) << "the consumer did not resume on the new active";
  EXPECT_EQ(consumer->GetStatus().replays, replays) << "a consumer in sync gets no replay";
  Write(*standby_, 30, 40);
  EXPECT_TRUE(Eventually([&] { return mirror.records() == TableOf(*standby_, "nat"); }));
  EXPECT_EQ(mirror.records().size(), 41u);
}

TEST_F(ConsumerServerTest, ConsumerConvergesWhenTheActiveStopsMidStream) {
  Mirror mirror;
  std::unique_ptr<Consumer> consumer = Follow("nat", mirror);
  ASSERT_TRUE(consumer);
  ASSERT_TRUE(Eventually([&] { return consumer->GetStatus().connected; }));
  Write(*active_, 0, 200);
  active_.reset();  // graceful: the standby takes over at once, updates may be in flight
  ASSERT_TRUE(Eventually([&] {
    Result<ReplicaStatus> s = standby_->GetStatus();
    return s.ok() && s->role == Role::kActive;
  }));
  Write(*standby_, 200, 220);
  EXPECT_TRUE(Eventually([&] { return mirror.records() == TableOf(*standby_, "nat"); }))
      << mirror.records().size() << " records held";
  EXPECT_EQ(mirror.records().size(), 221u);
}

TEST_F(ConsumerServerTest, StandbyAnswersASubscriptionWithNotActive) {
  RawConsumer raw(standby_->consumer_port());
  ASSERT_TRUE(raw.connected());
  raw.Send(Subscribe("nat", "raw"));
  std::optional<wire::ConsumerWelcome> welcome = raw.Welcome();
  ASSERT_TRUE(welcome.has_value());
  EXPECT_EQ(welcome->status, wire::WelcomeStatus::kNotActive);
  EXPECT_EQ(welcome->node_id, 2);
}

TEST_F(ConsumerServerTest, ActiveWelcomesASubscriptionWithANewChannel) {
  RawConsumer raw(active_->consumer_port());
  ASSERT_TRUE(raw.connected());
  raw.Send(Subscribe("nat", "raw"));
  std::optional<wire::ConsumerWelcome> welcome = raw.Welcome();
  ASSERT_TRUE(welcome.has_value());
  EXPECT_EQ(welcome->status, wire::WelcomeStatus::kOk) << welcome->text;
  EXPECT_EQ(welcome->node_id, 1);
  EXPECT_EQ(welcome->channel >> 48, 1u) << "a channel id carries the node that made it";
  EXPECT_EQ(welcome->ack_mode, wire::AckMode::kForwarded);
}

TEST_F(ConsumerServerTest, GarbageClosesTheConnection) {
  RawConsumer raw(active_->consumer_port());
  ASSERT_TRUE(raw.connected());
  raw.Send(wire::ConsumerAck{});  // an ack before any hello
  EXPECT_TRUE(raw.WaitClosed());
  // The port still serves others.
  RawConsumer next(active_->consumer_port());
  next.Send(Subscribe("nat", "next"));
  std::optional<wire::ConsumerWelcome> welcome = next.Welcome();
  ASSERT_TRUE(welcome.has_value());
  EXPECT_EQ(welcome->status, wire::WelcomeStatus::kOk);
}

TEST(ConsumerPortTest, ConnectionsPastMaxConnectionsAreClosed) {
  spdlog::set_level(spdlog::level::err);
  ReplicaOptions o = WithConsumerPort(1, 100);
  o.consumers.max_connections = 2;
  Result<std::unique_ptr<Replica>> r = Replica::Create(o);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_TRUE((*r)->Start().ok());
  RawConsumer first((*r)->consumer_port());
  RawConsumer second((*r)->consumer_port());
  ASSERT_TRUE(first.connected() && second.connected());
  RawConsumer third((*r)->consumer_port());
  EXPECT_TRUE(third.WaitClosed());
  EXPECT_FALSE(first.WaitClosed(100ms));
  EXPECT_FALSE(second.WaitClosed(100ms));
}

TEST(ConsumerPortTest, SectionFunctionNeedsAPortAndComesBeforeStart) {
  Result<std::unique_ptr<Replica>> plain = Replica::Create(LoopbackOptions(1, 100));
  ASSERT_TRUE(plain.ok());
  auto fn = [](std::string_view key) { return static_cast<uint8_t>(key.size()); };
  EXPECT_EQ((*plain)->SetSectionFunction("nat", fn).code(), Code::kInvalidArgument);
  EXPECT_EQ((*plain)->consumer_port(), 0);
  Result<std::unique_ptr<Replica>> r = Replica::Create(WithConsumerPort(1, 100));
  ASSERT_TRUE(r.ok());
  EXPECT_NE((*r)->consumer_port(), 0);
  EXPECT_EQ((*r)->SetSectionFunction("", fn).code(), Code::kInvalidArgument);
  EXPECT_EQ((*r)->SetSectionFunction("nat", nullptr).code(), Code::kInvalidArgument);
  EXPECT_TRUE((*r)->SetSectionFunction("nat", fn).ok());
  ASSERT_TRUE((*r)->Start().ok());
  EXPECT_EQ((*r)->SetSectionFunction("nat", fn).code(), Code::kUnavailable);
}

// The sections of every record (initial replay and live update) come from the function.
TEST(ConsumerPortTest, SectionFunctionGivesTheRecordsTheirSections) {
  spdlog::set_level(spdlog::level::err);
  Result<std::unique_ptr<Replica>> r = Replica::Create(WithConsumerPort(1, 100));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  Replica& node = **r;
  ASSERT_TRUE(node.SetSectionFunction("nat", [](std::string_view) { return uint8_t{69}; }).ok());
  ASSERT_TRUE(node.Start().ok());
  ASSERT_TRUE(Eventually([&] { return node.Put("nat", "a", "1").ok(); }));
  RawConsumer raw(node.consumer_port());
  raw.Send(Subscribe("nat", "raw"));
  std::optional<wire::ConsumerWelcome> welcome = raw.Welcome();
  ASSERT_TRUE(welcome.has_value());
  ASSERT_EQ(welcome->status, wire::WelcomeStatus::kOk) << welcome->text;
  ASSERT_TRUE(node.Put("nat", "b", "2").ok());
  std::vector<std::string> seen;
  wire::ConsumerLimits limits;
  while (seen.size() < 2) {
    std::optional<wire::FrameView> frame = raw.Next();
    ASSERT_TRUE(frame.has_value()) << "after " << seen.size() << " records";
    if (frame->type != wire::MsgType::kConsumerUpdate) continue;
    Result<wire::ConsumerUpdate> update = wire::DecodeConsumerUpdate(frame->payload, limits);
    ASSERT_TRUE(update.ok()) << update.status().ToString();
    for (const wire::UpdateRecord& record : update->records) {
      EXPECT_EQ(record.section, 69 % 64) << record.key;
      seen.emplace_back(record.key);
    }
  }
  EXPECT_EQ(seen, (std::vector<std::string>{"a", "b"}));
}

TEST(ConsumerPortTest, BadOptionsAreRefusedByName) {
  ReplicaOptions o = WithConsumerPort(1, 100);
  o.consumers.full_replay_sections = 0;
  Result<std::unique_ptr<Replica>> r = Replica::Create(o);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(), "consumers.full_replay_sections: must be 1..64");
  o = WithConsumerPort(1, 100);
  o.consumers.listen = "localhost:7402";
  r = Replica::Create(o);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message().rfind("consumers.listen: ", 0), 0u) << r.status().message();
}

TEST(ConsumerPortTest, PortInUseFailsCreate) {
  spdlog::set_level(spdlog::level::off);
  Result<std::unique_ptr<Replica>> first = Replica::Create(WithConsumerPort(1, 100));
  ASSERT_TRUE(first.ok());
  ReplicaOptions o = WithConsumerPort(2, 100);
  o.consumers.listen = "127.0.0.1:" + std::to_string((*first)->consumer_port());
  Result<std::unique_ptr<Replica>> second = Replica::Create(o);
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.status().code(), Code::kIo);
  EXPECT_NE(second.status().message().find("consumers: cannot listen on"), std::string::npos);
}

}  // namespace
}  // namespace hasync::testing
