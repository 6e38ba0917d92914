// TableTestPeer: lets tests reach a Table's key index, to make its migrations slow enough to
// interleave with random operations and to check its state. Not for production code.
#pragma once

#include "store/key_index.h"
#include "store/table.h"

namespace hasync::store {

struct TableTestPeer {
  static KeyIndex& Index(Table& table);
};

}  // namespace hasync::store
