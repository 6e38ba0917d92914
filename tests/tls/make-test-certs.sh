#!/usr/bin/env bash
# Certificates for the TLS tests (tests/tls, tests/net), made once per build tree by the CTest
# fixture tls_certs:
#   DIR/ca.crt, node1..node3 and admin     the lab CA and its certificates (scripts/hasync-certs)
#   DIR/psk.key                            a pre-shared key
#   DIR/other-ca/ca.crt, node1             a second CA, with its own node1
#   DIR/node1-server-only.{crt,key}        node1 from the lab CA, without clientAuth
#   DIR/node1-expired.{crt,key}            node1 from the lab CA, expired yesterday
#
#   tests/tls/make-test-certs.sh scripts/hasync-certs DIR
set -euo pipefail
certs="$1"
dir="$2"
"$certs" "$dir" node1 node2 node3 admin >/dev/null
"$certs" --psk "$dir" >/dev/null 2>&1
"$certs" "$dir/other-ca" node1 >/dev/null

# issue NAME DAYS EKU: node1 signed by the lab CA, with the given validity and extended key usage.
issue() {
  [ -e "$dir/$1.crt" ] && return
  local ext
  ext="$(mktemp)"
  printf '%s\n' "basicConstraints=critical,CA:FALSE" "keyUsage=critical,digitalSignature" \
    "extendedKeyUsage=$3" "subjectAltName=DNS:node1" >"$ext"
  openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$dir/$1.key" \
    -out "$dir/$1.csr" -subj "/CN=node1" 2>/dev/null
  openssl x509 -req -in "$dir/$1.csr" -CA "$dir/ca.crt" -CAkey "$dir/ca.key" -CAcreateserial \
    -days "$2" -extfile "$ext" -out "$dir/$1.crt" 2>/dev/null
  rm -f "$ext" "$dir/$1.csr"
}
issue node1-server-only 3650 serverAuth
issue node1-expired -1 serverAuth,clientAuth  # not after: a day before not before
