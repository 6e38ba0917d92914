// PoolClients: the address-pool workload, in the seeds whose setup has a pool (PoolSetup).
//
// Each node life runs its own pool::AddressPool, created with the pair's ids when the node
// starts and destroyed with it; its merge function is installed on the node, and its settings
// digest is both nodes' application_digest. The pools are driven as the daemon drives them: a
// request is a call into the node (World::Call), Tick runs after every turn of the node and
// every kTickInterval, WriteCompleted events of pool tokens go to the pool, and its replies and
// log lines are drained after each call. Each pool reads its node's wall clock (Setup::wall_ms).
//
// During chaos, clients c00.. allocate, renew and release at the node they believe is active
// (sometimes the other one; during a split-brain either), one request at a time each. A client
// *holds* an address from an ok allocate or renew reply until the lease's end, as the replying
// node's clock gives it, converted to true (virtual) time; a later ok reply replaces it, a
// refused renewal (kNotFound) ends it, and so does a release answered ok, kNotFound or
// kNotReplicated, or whose node died (it may have been written). Renewals come at random times
// before the end; some leases lapse, some are released. In partner-down seeds some chaos phases
// crash a node until the quiet window and declare partner-down on the survivor while the peer is
// really down.
//
// A holding is *kept* by the nodes guaranteed to have its lease, tracked as history.h tracks
// acknowledged writes: the replier, and its peer when the answer followed the standby's
// acknowledgement on a live connection; a crash drops the node, a bulk sync makes its receiver
// mirror the sender, a reconciliation adds the sender's to the active that merged it. A holding
// no node keeps is *lost*: every copy of its lease died (a double failure, or a node that granted
// it while no standby followed, when the pool writes kAsync, and crashed before any sync). A
// lost holding is exempt from the checks below, and counted.
//
// The other case docs/pools.md leaves uncovered: a node that restarted (empty) and becomes
// active before it has relearned its peer's leases (a standby taking over before its bulk sync
// completed, or a node that started during a partition and took the active role alone) hands
// out addresses of its share that leases it forgot still hold or reserve. Such a node life is
// *forgetful* from its start, when its peer's pool table held records or clients held leases,
// until it has received a bulk sync or merged a reconciliation; it forgot those addresses, and
// the leases its earlier life wrote that reached the peer only after the restart (writes in
// flight at the crash; the peer may even answer one as it stands: NoteLateWrites,
// ForgottenHolding). An
// address a forgetful node grants, that it forgot, is *uncovered* until the later of the leases
// involved ends: exempt from the checks below, and counted.
//
// Checks:
//  pool_unique        When a client receives a grant, no other client holds that address (lost
//                     holdings and uncovered addresses excepted). And no merge of the pool table
//                     ever counts a duplicate lease (AddressPool::duplicates): only a wrong
//                     partner-down or a change of configuration can make one, and the simulation
//                     makes neither.
//  pool_store_unique  Every record of the pool table decodes and names an address of the pool.
//                     At each quiet window's convergence, every holding still valid, kept, of a
//                     covered address and not being released is in the active's table: the
//                     record of its address names the client and keeps the address for it at
//                     least until the holding ends, less the clocks' spread: leased until then
//                     (by its writer's clock), or released (by this client) or expired with a
//                     grace that lasts until then. (A release or an expiry sweep on one side of
//                     a split-brain can outrank, by the clocks' skew, the renewal the client got
//                     on the other side; the address is still the client's, whose next renewal
//                     takes it back.) So every lease granted and not released survives the
//                     faults as long as its client holds it, unless every copy of it died.
//  pool_scope         A pool writes a lease (a new client or a new end) in its peer's share only
//                     while its scope is whole-pool, as the simulator computes it
//                     (pool::ScopeOf from the node's role, reconciliation, view of the peer and
//                     the partner-down it declared) with the true shares.
//  pool_served        Every request is answered once, by the node it went to, within
//                     postpone_timeout + a tick + replicate_timeout unless that node died; an ok
//                     grant names the client and is leased, a renewal keeps the address.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "core/node.h"
#include "pool/address_space.h"
#include "pool/lease.h"
#include "pool/pool.h"
#include "pool/share.h"

namespace hasync::sim {

class World;

// Pool request tokens, apart from the workload's (which count up from 1).
inline constexpr uint64_t kPoolTokenBase = uint64_t{1} << 62;

struct PoolCounts {
  uint64_t grants = 0;               // ok allocate replies
  uint64_t renewals = 0;             // ok renew replies
  uint64_t exhausted = 0;            // kExhausted replies
  uint64_t merged = 0;               // pool records the pool's merge function decided
  uint64_t merge_reconciles = 0;     // reconciliations that merged pool records
  uint64_t lost = 0;                 // holdings whose every copy died while still valid
  uint64_t lost_regranted = 0;       // ... whose address then went to another client while valid
  uint64_t forgotten = 0;            // grants by a forgetful node of an address it forgot
  uint64_t forgotten_regranted = 0;  // ... that went to a client while another held it
  uint64_t partner_downs = 0;        // partner-down declarations
};

class PoolClients {
 public:
  explicit PoolClients(World* world);
  ~PoolClients();
  PoolClients(const PoolClients&) = delete;
  PoolClients& operator=(const PoolClients&) = delete;

  bool on() const;
  bool has_pool(int slot) const { return pools_[slot] != nullptr; }

  // Node `slot` is starting: its pool, with the merge function installed on `node`.
  void NodeStarting(int slot, core::Node& node);
  void NodeLost(int slot);
  // The end of a turn of node `slot`: Tick, then the replies.
  void Turn(int slot, core::Node& node);
  // A WriteCompleted of node `slot`: true if it was its pool's.
  bool Completed(int slot, const core::WriteCompleted& done);
  void ReconcileCompleted();

  // Clients act from now until `until` (a chaos phase).
  void Run(core::TimePoint until);

  // Who keeps the leases (see above), called where History is told the same.
  void BulkBegin(int receiver, int sender);
  void BulkEnd(int receiver, int sender);
  void Reconciled(int receiver, int sender);

  void CheckPending();              // pool_served
  void CheckConverged(int active);  // pool_store_unique
  const PoolCounts& counts() const { return counts_; }

 private:
  struct Holding {
    core::TimePoint since{0};  // answered then
    core::TimePoint until{0};  // true time
    uint64_t expires_ms = 0;   // as the reply gave it
    int replier = 0;
    uint8_t keepers = 0;  // node slots guaranteed to have the lease as answered
    // An earlier answer this one extended, where it is kept by other nodes: what stands if
    // every keeper of the extension dies.
    core::TimePoint floor_until{0};
    uint8_t floor_keepers = 0;
    bool lost = false;  // counted once
    bool releasing = false;
    bool lapse = false;  // the client will not renew it
  };
  struct Client {
    std::string id;
    std::map<std::string, Holding> held;  // by address
    std::set<std::string> released;       // addresses it released (or may have) at some point
    bool busy = false;                    // a request is out
  };
  struct Request {
    size_t client;
    int slot;
    pool::PoolOp op;
    std::string address;
    core::TimePoint sent;
    core::TimePoint due;
  };
  // The peer-share records of a node's pool table as pool_scope last saw them.
  struct ScopeView {
    uint64_t digest = ~uint64_t{0};
    std::map<uint64_t, std::pair<std::string, uint64_t>> leased;  // ordinal -> client, expires
    PoolScope scope = PoolScope::kNone;
  };

  void Tick(core::TimePoint until);
  void Act(size_t client);
  void Send(size_t client, int slot, pool::PoolOp op, const std::string& address);
  // Replies and log lines of node `slot`'s pool; `acked`: the token whose standby ack just came.
  void Output(int slot, uint64_t acked);
  void Answered(int slot, const pool::PoolReply& reply, bool via_ack);
  void Granted(Client& c, int slot, const Lease& lease, bool via_ack);
  void PeriodicTick(int slot, uint64_t incarnation);
  pool::PoolClock Clock(int slot) const;
  core::TimePoint TrueTime(int slot, uint64_t wall_ms) const;
  // pool_scope, around a call into node `slot`'s pool.
  void BeforePoolCall(int slot, core::Node& node, bool tick);
  void AfterPoolCall(int slot, core::Node& node);
  void ReadPeerShare(int slot, const core::Node& node, ScopeView* view) const;
  // Partner-down seeds: a crash for the rest of the phase, and the declaration.
  void LongCrash(core::TimePoint until);
  void DeclarePartnerDown(int survivor, int dead, core::TimePoint until);
  // Applies `fn` to every holding's keepers; counts the holdings it leaves lost.
  template <typename Fn>
  void Update(Fn fn);
  std::string Where(int slot) const;
  static std::string Keepers(uint8_t keepers);  // "n1", "n1 and n2", "nobody"
  // What node `slot`, starting now, forgets: the addresses its peer's table and the clients'
  // holdings name.
  void Forget(int slot);
  // The clocks' spread (how far apart the two nodes' wall clocks are).
  core::Duration Spread() const;
  // Whether `lease`, written by node `writer`, was granted by an earlier life of it (before the
  // running one began, by its wall clock).
  bool EarlierLife(int writer, const pool::LeaseRecord& lease) const;
  // Leases an earlier life of the peer of node `holder` wrote that reached `holder` after the
  // peer restarted (writes still in flight when that life died): while the peer is forgetful,
  // it forgot them too; what it granted of them already was uncovered from its grant.
  void NoteLateWrites(int holder);
  // Whether node `holder`'s lease of `address` for `client` was written by an earlier life of
  // node `writer` while `writer` is forgetful (see NoteLateWrites).
  bool WrittenByEarlierLife(int writer, int holder, const std::string& address,
                            const std::string& client) const;
  // A holding of `address` by a client other than `grantee` whose lease, as its replier holds
  // it, an earlier life of node `slot` wrote: forgotten as well. When it ends.
  std::optional<core::TimePoint> ForgottenHolding(int slot, const Client& grantee,
                                                  const std::string& address) const;
  // Whether `address` is uncovered at `at` (now by default).
  bool Uncovered(const std::string& address, std::optional<core::TimePoint> at = {}) const;
  // Whether the merge's duplicate `line` ("... duplicate lease of A: client X (granted MS by
  // node N) and client Y (granted MS by node N); ...") names a lease granted while A was
  // uncovered: the overlap comes from a forgetful node.
  bool Excused(const std::string& line, size_t address_at) const;

  World* w_;
  std::optional<pool::AddressSpace> space_;
  std::array<std::optional<pool::ShareMap>, 2> shares_;  // the true shares, per node
  std::array<std::unique_ptr<pool::AddressPool>, 2> pools_;
  std::array<uint64_t, 2> duplicates_seen_{};
  std::array<bool, 2> partner_down_{};
  std::array<ScopeView, 2> views_;
  // Per forgetful node life: the addresses it forgot, with when the last lease or reservation
  // of each ends (true time); nullopt once it has relearned them, or if it forgot nothing.
  std::array<std::optional<std::map<std::string, core::TimePoint>>, 2> forgot_;
  // Per address, the windows (from, until) in which it was uncovered.
  std::map<std::string, std::vector<std::pair<core::TimePoint, core::TimePoint>>> uncovered_;
  std::vector<Client> clients_;
  std::map<uint64_t, Request> requests_;                 // by token
  std::set<std::pair<core::TimePoint, uint64_t>> dues_;  // (due, token)
  uint64_t next_token_ = kPoolTokenBase;
  uint64_t merged_at_reconcile_ = 0;
  PoolCounts counts_;
};

}  // namespace hasync::sim
