#include "net/link_security.h"

#include <fmt/format.h>

#include <vector>

#include "tls/context.h"

namespace hasync::net {

Status CheckTlsOptions(const TlsOptions& tls) {
  std::vector<std::string_view> missing;
  bool any_certificate_field = false;
  for (auto [name, value] :
       {std::pair{"certificate", &tls.certificate}, std::pair{"private_key", &tls.private_key},
        std::pair{"ca", &tls.ca}, std::pair{"peer_name", &tls.peer_name}}) {
    if (value->empty()) {
      missing.push_back(name);
    } else {
      any_certificate_field = true;
    }
  }
  bool psk = !tls.psk_file.empty();
  if (tls.insecure && (any_certificate_field || psk)) {
    return InvalidArgument(
        "tls: insecure = true turns TLS off, but certificate or psk_file keys are set too: "
        "remove insecure, or the other keys");
  }
  if (any_certificate_field && psk) {
    return InvalidArgument(
        "tls: both certificate keys and psk_file are set: choose one mode (certificates "
        "authenticate each node; a pre-shared key only the pair)");
  }
  if (any_certificate_field && !missing.empty()) {
    return InvalidArgument(fmt::format(
        "tls: certificate mode needs {} as well (peer_name is the name the peer's certificate "
        "carries, e.g. \"node2\")",
        fmt::join(missing, ", ")));
  }
  if (!any_certificate_field && !psk && !tls.insecure) {
    return InvalidArgument(
        "tls: no mode chosen: set certificate, private_key, ca and peer_name "
        "(scripts/hasync-certs makes a lab CA), or psk_file, or insecure = true for a dedicated "
        "link");
  }
  return Status::Ok();
}

Result<LinkSecurity> LoadLinkSecurity(const TlsOptions& tls, const std::string& psk_identity) {
  Status checked = CheckTlsOptions(tls);
  if (!checked.ok()) return checked;
  LinkSecurity security;
  if (tls.insecure) {
    security.description = "plain TCP, insecure";
    return security;
  }
  Result<std::shared_ptr<asio::ssl::context>> context =
      tls.psk_file.empty() ? tls::MakeCertificateContext({tls.certificate, tls.private_key, tls.ca})
                           : tls::MakePskContext(tls.psk_file, psk_identity);
  if (!context.ok()) return context.status();
  security.context = std::move(context).value();
  if (tls.psk_file.empty()) {
    security.peer_name = tls.peer_name;
    security.description = fmt::format("TLS 1.3, certificates, peer {}", tls.peer_name);
  } else {
    security.description = "TLS 1.3, pre-shared key";
  }
  return security;
}

}  // namespace hasync::net
