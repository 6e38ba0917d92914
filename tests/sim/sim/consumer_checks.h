// ConsumerChecks: the invariants of consumers and selective replay (issue 6), in seeds with
// consumers. What the simulator knows for them: every frame on every consumer connection (it
// cuts them out of the streams, sim/consumer_links.h), each session's applied ops and their
// changes, and each node's publisher (its channels' histories, its counters) and store.
//
//  consumer_ops_ordered  On each connection, the ops a consumer's application receives are
//                     exactly the ops the node sent on it (the last fragment of each sent),
//                     in the order sent, none skipped and none twice; within a session life
//                     their op ids strictly increase. (Ops the connection lost when it broke
//                     are not owed: the resume settles them.)
//  in_sync_no_replay  A consumer that resumes while *in sync* with the node its hello reaches
//                     gets no replay: the publisher counts the resume in sync, and no replay op
//                     is the first update on that connection. In sync, judged from what the
//                     simulator sees when the hello arrives, conservatively: the node is active;
//                     the consumer holds something (last op not 0); the node's history of the
//                     channel ends at the consumer's last op with the consumer's term for it
//                     (so every op the node made or heard of for the channel, including the
//                     changes a takeover announced as ops of its own, has reached the
//                     consumer); the node need not replay the channel in full (it took over
//                     holding everything, sim/publisher_tap.h); and the consumer's copy
//                     equals the node's live records of the subscription (keys, value hashes
//                     and sections).
//  replay_bounded     Every replay resends at most what sim/replay_bound.h allows: the
//                     sections it resets and the sections in its mask are among those of the
//                     ops the consumer misses, its other records are keys those ops named, it
//                     carries no key twice and no more records of its reset sections than the
//                     node holds there; a full replay (every section) only where a rule of
//                     replay_bound.h allows one. Replayed records are counted against a full
//                     resend of the subscription.
//  consumer_converges At the end of every quiet window (the pair converged, the faults over),
//                     every consumer is subscribed to the active, and both its copy as the
//                     application holds it (the changes of its applied ops, in order) and the
//                     session's key index equal the active's live records of the
//                     subscription: same keys, same values, sections as the table's section
//                     function gives them (also when the pair lost every copy of the records
//                     the consumer holds: a node restarted empty and its peer crashed before it
//                     resynchronised).
//  channel_unique     A node never gives a new channel (a hello with channel 0) an id that
//                     another consumer holds (was welcomed to, or resumes).
#pragma once

#include <array>
#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "consumer/session.h"
#include "sim/consumer_links.h"
#include "sim/replay_bound.h"

namespace hasync::sim {

class World;
class Consumers;

struct ConsumerCounts {
  uint64_t sessions = 0;       // consumer session lives started (returns after a crash included)
  uint64_t resumes = 0;        // subscriptions a node welcomed
  uint64_t in_sync = 0;        // ... of consumers the simulator judged in sync: no replay
  uint64_t in_sync_moved = 0;  // ... that had followed the other node before (a failover)
  uint64_t initial = 0;        // replays to consumers that held nothing (full, necessarily)
  // The others, by replay::ReplayKind (kNone unused): keys, sections, full; their records, and
  // the subscription's records at each (what a full resend would have sent).
  uint64_t replays[4] = {0, 0, 0, 0};
  uint64_t full_why[5] = {0, 0, 0, 0, 0};  // the full ones, by the rule that allowed them
  uint64_t replayed_records = 0;
  uint64_t full_resend_records = 0;
  uint64_t ops_applied = 0;
  uint64_t faults = 0;  // consumer connection resets, consumer crashes, spikes
  uint64_t chased = 0;  // faults aimed right after an update was sent
};

class ConsumerChecks {
 public:
  ConsumerChecks(World* world, Consumers* consumers) : w_(world), c_(consumers) {}

  void SessionStarted(size_t consumer);
  // The frames a node sends on `conn` (to `consumer`) and those a consumer sends.
  void FramesToConsumer(ConnId conn, int slot, size_t consumer, const std::vector<Frame>& frames);
  void FramesToNode(ConnId conn, size_t consumer, const std::vector<Frame>& frames);
  // Frames a node sends on a connection its consumer no longer holds: they go nowhere, but a
  // replay among them was built all the same.
  void FramesLost(int slot, const std::vector<Frame>& frames);
  // Whether bytes delivered to the node on `conn`, `delivered` in all, complete its hello.
  bool HelloArrives(ConnId conn, uint64_t delivered) const;
  void BeforeHello(ConnId conn, int slot, size_t consumer);
  void AfterHello(ConnId conn, int slot);
  void Applied(size_t consumer, ConnId conn, const consumer::AppliedOp& op);
  void LinkClosed(ConnId conn) { links_.erase(conn); }
  // The end of a call into node `slot`: the keys its histories' new ops name.
  void CallDone(int slot);
  void NodeStarted(int slot) { ops_seen_[slot] = 0; }
  void CheckConverged(int active);
  // Whether `consumer` is in sync with node `slot` (see in_sync_no_replay).
  bool InSync(size_t consumer, int slot) const;
  ConsumerCounts& counts() { return counts_; }

 private:
  // What a consumer session life has.
  struct View {
    std::vector<OpRef> applied;
    std::map<std::string, std::string> copy;  // what its application holds
    int slot = -1;                            // the node its last op came from
  };
  // A replay op being sent in fragments.
  // A replay being written (over several turns when it walks its table): what bounds it is
  // taken from its first fragment, when the node built it.
  struct Replay {
    wire::ConsumerUpdate header;                        // records empty
    std::vector<std::pair<std::string, uint8_t>> keys;  // (key, section) of every record
    ReplayBound bound;
    std::array<uint64_t, replay::kSectionCount> held{};  // the node's records, by section
    size_t held_total = 0;
  };
  struct Link {
    size_t consumer = 0;
    int slot = 0;
    std::deque<OpRef> sent;  // complete ops sent, not yet applied
    std::optional<Replay> replay;
    bool updates = false;        // an update was sent on it
    uint64_t to_node_bytes = 0;  // what the consumer sent on it
    uint64_t hello_channel = 0;  // the channel its subscription hello asked for
    uint64_t hello_end = 0;      // stream offset just past its subscription hello (0: none)
    bool in_sync = false;        // judged when the hello arrived
    uint64_t resumes = 0;        // the publisher's counters before the hello
    uint64_t resumes_in_sync = 0;
  };

  void Welcomed(const Link& link, int slot, const wire::ConsumerWelcome& welcome);
  void Update(Link& link, int slot, const wire::ConsumerUpdate& update);
  void ReplayBuilt(Link& link, int slot, Replay& replay);
  // The keys of the ops of `h`'s channel and term above it: made while it was written.
  std::set<std::string> LateKeys(const wire::ConsumerUpdate& h, const std::string& table) const;
  void CheckBound(const Link& link, int slot, const Replay& replay);
  std::string Name(size_t consumer) const;

  World* w_;
  Consumers* c_;
  std::map<size_t, View> views_;  // by consumer
  std::map<ConnId, Link> links_;
  std::set<uint64_t> channels_;         // every channel a node welcomed a consumer to
  std::map<uint64_t, OpKeys> op_keys_;  // by channel: every op seen, with its keys if it had any
  std::array<uint64_t, 2> ops_seen_{};  // each publisher's ops counter at the last look
  ConsumerCounts counts_;
};

}  // namespace hasync::sim
