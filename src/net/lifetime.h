// Lifetime: protects an object's Asio handlers from outliving it.
//
// A handler queued on an io_context (a completed read, an expired timer, a post) runs when the
// loop gets to it, even if the object that queued it was destroyed meanwhile while the loop
// keeps running (a test dropping one node of a pair, an embedder destroying a replica).
// Wrapping the handler with Guard() makes it a no-op once the owner is gone.
//
// Single-threaded, like the objects that use it: the owner is destroyed on the loop's thread,
// or while the loop is not running.
#pragma once

#include <memory>
#include <utility>

namespace hasync::net {

class Lifetime {
 public:
  template <typename Handler>
  auto Guard(Handler handler) const {
    return [alive = std::weak_ptr<const int>(alive_),
            handler = std::move(handler)](auto&&... args) mutable {
      if (!alive.expired()) handler(std::forward<decltype(args)>(args)...);
    };
  }

 private:
  std::shared_ptr<const int> alive_ = std::make_shared<const int>(0);
};

}  // namespace hasync::net
