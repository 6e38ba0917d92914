#include "core/postponed.h"

namespace hasync::core {

size_t Postponed::Expire(TimePoint now, std::vector<Event>* events) {
  size_t expired = 0;
  while (!writes_.empty() && writes_.front().deadline <= now) {
    events->push_back(WriteCompleted{
        writes_.front().token,
        Timeout("the write was postponed by a reconciliation that did not end in time; it was "
                "not applied")});
    writes_.pop_front();
    ++expired;
  }
  return expired;
}

size_t Postponed::FailAll(const Status& why, std::vector<Event>* events) {
  for (const PostponedWrite& w : writes_) events->push_back(WriteCompleted{w.token, why});
  size_t failed = writes_.size();
  writes_.clear();
  return failed;
}

}  // namespace hasync::core
