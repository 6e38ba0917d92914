#include "net/peer_conn.h"

#include <asio/ssl/error.hpp>

namespace hasync::net {

bool ClosedByPeer(const asio::error_code& ec) {
  return ec == asio::error::eof || ec == asio::ssl::error::stream_truncated;
}

PeerConn::PeerConn(asio::ip::tcp::socket socket, asio::ssl::context* tls)
    : handshake_timer(socket.get_executor()),
      stall_timer(socket.get_executor()),
      plain(socket.get_executor()) {
  if (tls != nullptr) {
    stream.emplace(std::move(socket), *tls);
  } else {
    plain = std::move(socket);
  }
}

void PeerConn::ShutdownSend() {
  asio::error_code ignored;
  half_closed = true;
  socket().shutdown(asio::socket_base::shutdown_send, ignored);
}

void PeerConn::Close() {
  asio::error_code ignored;
  socket().close(ignored);
  handshake_timer.cancel();
  stall_timer.cancel();
}

}  // namespace hasync::net
