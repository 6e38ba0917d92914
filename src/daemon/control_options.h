// ControlOptions: how hasyncd's control endpoints are set up ([control] in the config file).
//
// The unix socket always exists; the TCP endpoint only when `tcp_listen` is set, and then only
// with TLS 1.3 and client certificates: MakeControlOptions (config.h) refuses a tcp_listen
// without a certificate, key and CA, so there is no way to configure a plain TCP control port.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace hasync::daemon {

struct ControlOptions {
  std::string socket = "/run/hasync/hasyncd.sock";
  uint32_t mode = 0600;
  // The socket file is chown'ed to these after it is created: a user or group name, or a
  // numeric id; empty leaves the daemon's own.
  std::string owner;
  std::string group;
  // Connections open at once, unix and TCP together; more are refused with an error line.
  uint32_t max_connections = 64;

  // "host:port" (numeric) of the TCP endpoint; empty: none.
  std::string tcp_listen;
  // PEM files for the TCP endpoint. In the config file they default to [tls]'s; here they are
  // the ones used.
  std::string tls_certificate;
  std::string tls_private_key;
  std::string tls_ca;  // client certificates must chain to it
  // Names a client certificate must carry (one of them, as a DNS subjectAltName or, without
  // any, the common name); empty: any certificate signed by tls_ca.
  std::vector<std::string> allowed_clients;
};

}  // namespace hasync::daemon
