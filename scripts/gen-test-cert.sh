#!/usr/bin/env bash
# Creates a self-signed development/test TLS certificate for localhost and 127.0.0.1 (and ::1):
#   DIR/cert.pem  certificate (EC P-256, SHA-256, valid 365 days, CA:FALSE, serverAuth)
#   DIR/key.pem   private key (mode 0600)
# Usage: scripts/gen-test-cert.sh DIR    -- never use the result outside development and tests.
set -euo pipefail
if [[ $# -ne 1 || $1 == -h || $1 == --help ]]; then
    echo "usage: $0 DIR   (writes DIR/cert.pem and DIR/key.pem)" >&2
    exit 2
fi
dir=$1
mkdir -p "$dir"
umask 077
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -sha256 -nodes -days 365 \
    -subj "/CN=localhost/O=renewmatch development" \
    -addext "subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1" \
    -addext "basicConstraints=critical,CA:FALSE" \
    -addext "keyUsage=critical,digitalSignature" \
    -addext "extendedKeyUsage=serverAuth" \
    -keyout "$dir/key.pem" -out "$dir/cert.pem" 2>/dev/null
chmod 600 "$dir/key.pem"
chmod 644 "$dir/cert.pem"
