#!/bin/sh
# Makes the TLS keys and certificates the tests and the cross-test programs use, with
# Debian's openssl: a test CA, a server certificate for `localhost` (and 127.0.0.1, ::1),
# a client certificate (CN=thrift-tower-test-client; also for localhost, 127.0.0.1 and ::1,
# since Apache's Python TSSLServerSocket checks a client's certificate against the address
# it connects from), and a second server certificate
# signed by a CA nobody trusts (for the tests of what a client refuses).
# They are test data, checked in with this script that made them; never use them for
# anything else. Run from anywhere: `sh tests/keys/make-keys.sh`.
set -eu
cd "$(dirname "$0")"
days=36500
key() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" 2>/dev/null; }

ca() { # name subject
  key "$1.key"
  openssl req -x509 -new -key "$1.key" -sha256 -days $days -subj "$2" \
    -addext "basicConstraints=critical,CA:TRUE" \
    -addext "keyUsage=critical,keyCertSign,cRLSign" -out "$1.pem"
}

leaf() { # name subject ca extensions
  key "$1.key"
  openssl req -new -key "$1.key" -subj "$2" -out "$1.csr"
  printf '%s\n' "$4" > "$1.ext"
  openssl x509 -req -in "$1.csr" -CA "$3.pem" -CAkey "$3.key" -CAcreateserial \
    -sha256 -days $days -extfile "$1.ext" -out "$1.pem" 2>/dev/null
  rm -f "$1.csr" "$1.ext" "$3.srl"
}

ca ca "/O=thrift-tower tests/CN=thrift-tower test CA"
ca other-ca "/O=nobody/CN=an untrusted CA"
leaf server "/O=thrift-tower tests/CN=localhost" ca \
"basicConstraints=CA:FALSE
keyUsage=critical,digitalSignature,keyEncipherment
extendedKeyUsage=serverAuth
subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1"
leaf client "/O=thrift-tower tests/CN=thrift-tower-test-client" ca \
"basicConstraints=CA:FALSE
keyUsage=critical,digitalSignature
extendedKeyUsage=clientAuth
subjectAltName=DNS:client.thrift-tower.test,email:client@thrift-tower.test,URI:spiffe://thrift-tower.test/client,DNS:localhost,IP:127.0.0.1,IP:::1"
leaf untrusted-server "/O=nobody/CN=localhost" other-ca \
"basicConstraints=CA:FALSE
keyUsage=critical,digitalSignature,keyEncipherment
extendedKeyUsage=serverAuth
subjectAltName=DNS:localhost,IP:127.0.0.1"
rm -f ca.key other-ca.key
echo "made: $(ls *.pem *.key | tr '\n' ' ')"
