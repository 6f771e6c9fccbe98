#!/usr/bin/env bash
# A private certificate authority and the certificates tnps needs to serve
# TLS on one machine, made with openssl (EC P-256 keys, keys mode 0600).
#
#   deploy/tls-certs.sh DIR                 CA (ca.pem, ca.key) if DIR has none,
#                                           and a server certificate
#                                           (server.pem, server.key) for
#                                           localhost, 127.0.0.1 and ::1
#   deploy/tls-certs.sh DIR client NAME     a client certificate (NAME.pem,
#                                           NAME.key) signed by DIR's CA, for
#                                           mutual TLS
#
# Run again, it keeps the CA and issues a fresh server certificate, written
# in place (tnps-server picks it up without a restart). For hosts other than
# this one, use certificates from your own CA; see docs/operations.md.
set -euo pipefail
dir="${1:?usage: deploy/tls-certs.sh DIR [client NAME]}"
mkdir -p "$dir"
umask 077

if [ ! -f "$dir/ca.pem" ]; then
  openssl req -x509 -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -keyout "$dir/ca.key" -out "$dir/ca.pem" -days 3650 -subj "/CN=tnps local CA" \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
    2>/dev/null
fi

# Issues $1.pem/$1.key for subject CN $2 with extensions $3, signed by the CA;
# the new files replace the old ones only once both are complete.
issue() {
  local name="$1" cn="$2" ext="$3" tmp
  tmp="$(mktemp -d "$dir/.issue.XXXXXX")"
  openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -keyout "$tmp/key" -out "$tmp/csr" -subj "/CN=$cn" 2>/dev/null
  printf '%s\n' "$ext" >"$tmp/ext"
  openssl x509 -req -in "$tmp/csr" -CA "$dir/ca.pem" -CAkey "$dir/ca.key" \
    -CAcreateserial -CAserial "$dir/ca.srl" -days 397 -extfile "$tmp/ext" \
    -out "$tmp/pem" 2>/dev/null
  mv "$tmp/key" "$dir/$name.key"
  mv "$tmp/pem" "$dir/$name.pem"
  rm -rf "$tmp"
}

if [ "${2:-}" = "client" ]; then
  name="${3:?usage: deploy/tls-certs.sh DIR client NAME}"
  issue "$name" "$name" "$(printf '%s\n' 'basicConstraints=CA:FALSE' \
    'keyUsage=critical,digitalSignature' 'extendedKeyUsage=clientAuth')"
  echo "$dir/$name.pem"
else
  issue server localhost "$(printf '%s\n' 'basicConstraints=CA:FALSE' \
    'keyUsage=critical,digitalSignature' 'extendedKeyUsage=serverAuth' \
    'subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1')"
  echo "$dir/server.pem"
fi
