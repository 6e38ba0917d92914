#include "consumer/links.h"

#include <asio/post.hpp>
#include <asio/write.hpp>

namespace hasync::consumer {

struct Links::Link {
  explicit Link(asio::io_context& io) : socket(io) {}
  asio::ip::tcp::socket socket;
  bool connected = false;
  bool write_in_flight = false;
  std::vector<uint8_t> read_buffer;
  std::vector<uint8_t> writing;  // the write in flight
  std::vector<uint8_t> pending;  // queued behind it
};

Links::Links(asio::io_context& io, size_t slots, Listener* listener, size_t max_queue_bytes)
    : io_(io), listener_(listener), max_queue_bytes_(max_queue_bytes), links_(slots) {}

Links::~Links() { CloseAll(); }

void Links::Connect(size_t slot, const asio::ip::tcp::endpoint& endpoint) {
  Close(slot);
  auto link = std::make_shared<Link>(io_);
  links_[slot] = link;
  link->socket.async_connect(endpoint, [this, slot, link](asio::error_code ec) {
    if (links_[slot] != link) return;  // closed meanwhile
    if (ec) {
      links_[slot].reset();
      listener_->OnLinkClosed(slot, ec.message());
      return;
    }
    asio::error_code ignored;  // best effort: acks and pings are small, do not hold them back
    link->socket.set_option(asio::ip::tcp::no_delay(true), ignored);
    link->connected = true;
    link->read_buffer.resize(kReadBufferBytes);
    listener_->OnLinkConnected(slot);
    if (links_[slot] == link) Read(slot, link);
  });
}

void Links::Read(size_t slot, const LinkPtr& link) {
  link->socket.async_read_some(asio::buffer(link->read_buffer), [this, slot, link](
                                                                    asio::error_code ec, size_t n) {
    if (links_[slot] != link) return;
    if (ec) {
      Fail(slot, link, ec == asio::error::eof ? std::string("closed by the node") : ec.message());
      return;
    }
    listener_->OnLinkBytes(slot, {link->read_buffer.data(), n});
    if (links_[slot] == link) Read(slot, link);
  });
}

void Links::Send(size_t slot, std::vector<uint8_t>& bytes) {
  const LinkPtr& link = links_[slot];
  if (!link || !link->connected || bytes.empty()) {
    bytes.clear();
    return;
  }
  link->pending.insert(link->pending.end(), bytes.begin(), bytes.end());
  bytes.clear();
  if (link->pending.size() + link->writing.size() > max_queue_bytes_) {
    // Reported from a handler, as every report is.
    asio::post(io_, [this, slot, link = link] {
      if (links_[slot] == link) Fail(slot, link, "the node does not read (write queue full)");
    });
    return;
  }
  if (!link->write_in_flight) StartWrite(slot, link);
}

void Links::StartWrite(size_t slot, const LinkPtr& link) {
  link->writing.swap(link->pending);
  link->pending.clear();
  link->write_in_flight = true;
  asio::async_write(link->socket, asio::buffer(link->writing),
                    [this, slot, link](asio::error_code ec, size_t) {
                      link->write_in_flight = false;
                      if (links_[slot] != link) return;
                      if (ec) {
                        Fail(slot, link, ec.message());
                        return;
                      }
                      link->writing.clear();
                      if (!link->pending.empty()) StartWrite(slot, link);
                    });
}

void Links::Fail(size_t slot, const LinkPtr& link, std::string reason) {
  asio::error_code ignored;
  link->socket.close(ignored);
  links_[slot].reset();
  listener_->OnLinkClosed(slot, reason);
}

void Links::Close(size_t slot) {
  LinkPtr link = std::move(links_[slot]);
  links_[slot].reset();
  if (!link) return;
  asio::error_code ignored;
  link->socket.close(ignored);
}

void Links::CloseAll() {
  for (size_t slot = 0; slot < links_.size(); ++slot) Close(slot);
}

}  // namespace hasync::consumer
