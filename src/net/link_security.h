// LinkSecurity: how the sync channel is secured, built from TlsOptions (hasync/node.h).
//
// CheckTlsOptions enforces that exactly one mode is chosen, without touching the filesystem
// (MakeDriverOptions runs it, so the library and hasyncd refuse the same settings);
// LoadLinkSecurity then reads the certificate, key and CA, or the pre-shared key, and reports
// a file that is missing or wrong as an error naming it.
#pragma once

#include <asio/ssl/context.hpp>
#include <memory>
#include <string>

#include "hasync/node.h"
#include "hasync/status.h"

namespace hasync::net {

struct LinkSecurity {
  std::shared_ptr<asio::ssl::context> context;  // null: plain TCP (insecure = true)
  std::string peer_name;                        // certificate mode: the peer must carry it
  std::string description;                      // for the log: "TLS 1.3, certificates, peer node2"
};

// kInvalidArgument unless exactly one of certificate mode (certificate, private_key, ca and
// peer_name all set), psk_file, or insecure is chosen.
Status CheckTlsOptions(const TlsOptions& tls);

// Checks `tls`, then loads its files. `psk_identity` is what a PSK dialer sends; both nodes of a
// pair must use the same.
Result<LinkSecurity> LoadLinkSecurity(const TlsOptions& tls, const std::string& psk_identity);

}  // namespace hasync::net
