#include "store/table_walk.h"

#include <string_view>
#include <utility>

#include "store/key_index.h"
#include "store/record.h"
#include "store/version_list.h"

namespace hasync::store {

TableWalk::TableWalk(std::shared_ptr<WalkState> state) : state_(std::move(state)) {}

// The list notices the walk is closed when it next looks (its count of the state drops to one).
TableWalk::~TableWalk() = default;

size_t TableWalk::Step(size_t max, const std::function<void(const RecordView&)>& fn) {
  WalkState& w = *state_;
  size_t visited = 0;
  while (visited < max && w.list != nullptr && w.RegionLeft()) {
    const Record* r = w.after ? w.after->next : w.list->oldest();
    fn(ViewOf(*r));
    w.after = r;
    ++visited;
  }
  // A postponed record that changed since counts toward `max` too: a slice looks at no more.
  for (size_t looked = visited; looked < max && !done(); ++looked) {
    const WalkState::Postponed& p = w.postponed[w.postponed_next++];
    const size_t begin = w.postponed_next == 1 ? 0 : w.postponed[w.postponed_next - 2].key_end;
    std::string_view key(w.postponed_keys.data() + begin, p.key_end - begin);
    // Changed since it moved: what changed it is reported to whoever walks (table_walk.h).
    const Record* r = w.index->Find(key);
    if (r == nullptr || r->stamp != p.stamp) continue;
    fn(ViewOf(*r));
    ++visited;
  }
  return visited;
}

bool TableWalk::done() const {
  const WalkState& w = *state_;
  return w.list == nullptr || (!w.RegionLeft() && w.postponed_next == w.postponed.size());
}

bool TableWalk::lost() const { return state_->list == nullptr; }

}  // namespace hasync::store
