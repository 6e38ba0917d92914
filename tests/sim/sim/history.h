// History: what the simulated clients wrote and which writes the pair acknowledged as
// kReplicated, for the acked_survives_crash invariant.
//
// Per key it keeps the last write acknowledged as replicated (serial S) and every applied write
// since (any node, any durability). A node *holds* the key when it is guaranteed to have S's value
// or a later write's value: both nodes the moment S is acknowledged (the active applied it, the
// standby acknowledged it on a live connection). A node stops holding its keys when it crashes
// (its store dies with it), and a node that receives a bulk sync mirrors its sender: it keeps
// holding only what the sender holds from the bulk begin, and holds exactly what the sender holds
// from the EOF on. So a lost acknowledged write is reported only when a node that was guaranteed
// to have it does not, i.e. after a single crash, never after the double failures (crash of a
// fresh node that had not finished its bulk sync, say) that the guarantee does not cover.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "store/store.h"

namespace hasync::sim {

struct KeyRef {
  std::string table;
  std::string key;
  auto operator<=>(const KeyRef&) const = default;
};

class History {
 public:
  // A write with this serial (increasing) was applied; nullopt value: an erase.
  void Applied(const KeyRef& key, uint64_t serial, std::optional<std::string> value);
  // The kReplicated write `serial` to `key` was acknowledged; `holders`: mask of node slots.
  void Acked(const KeyRef& key, uint64_t serial, uint8_t holders);
  void NodeLost(int slot);
  void BulkBegin(int receiver, int sender);
  void BulkEnd(int receiver, int sender);

  // "" if node `slot` holds, for every key it is a holder of, the acknowledged value or a later
  // write's value; otherwise what is missing.
  std::string Check(int slot, const store::Store& store) const;
  // "" unless a bulk sync from `sender` (holding `sender_store`) is about to make `receiver` lose
  // an acknowledged write it holds; otherwise which.
  std::string Discards(int receiver, int sender, const store::Store& sender_store) const;

 private:
  struct Write {
    uint64_t serial;
    std::optional<std::string> value;
  };
  struct KeyState {
    std::vector<Write> writes;  // ascending serial; from the acknowledged one on once acked
    uint64_t acked = 0;         // serial of the last acknowledged replicated write; 0: none
    uint8_t holders = 0;        // bit per node slot
  };
  static bool Allowed(const KeyState& k, const std::optional<std::string>& value);
  std::map<KeyRef, KeyState> keys_;
};

}  // namespace hasync::sim
