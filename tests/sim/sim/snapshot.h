// Snapshot: the live records of one store as plain values, so that two stores (or one store at
// two moments) can be compared record by record and the difference printed.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <utility>

#include "store/store.h"

namespace hasync::sim {

// (table, key) -> value, live records only; tables that exist but are empty leave no trace.
using Snapshot = std::map<std::pair<std::string, std::string>, std::string>;

Snapshot TakeSnapshot(const store::Store& store);

// Whether two stores hold the same live records, compared record by record (lookups only, no
// copies: the quick path of a comparison whose differences DiffSnapshots then names).
bool SameRecords(const store::Store& a, const store::Store& b);

// "" if equal; otherwise the number of differing records and the first few, e.g.
// "3 records differ: t0/k12: n1 '17:abc…' (40 B), n2 absent; ...".
std::string DiffSnapshots(const Snapshot& a, std::string_view a_name, const Snapshot& b,
                          std::string_view b_name);

// A value as it appears in messages: quoted, shortened, with its size; "absent" for none.
std::string ShowValue(const std::string* value);

}  // namespace hasync::sim
