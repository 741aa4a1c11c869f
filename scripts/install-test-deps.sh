#!/usr/bin/env bash
# Install the system packages the test suite needs (idempotent; safe to run twice).
#   dovecot-imapd  real IMAP server for tests/unit/adapters/test_imap.py
#   openssl        makes the test server's self-signed certificate
# Called by `make test` (and so by .ci/run) before the tests; nothing to run by hand.
set -euo pipefail

missing=()
command -v dovecot >/dev/null 2>&1 || [ -x /usr/sbin/dovecot ] || missing+=(dovecot-imapd)
command -v openssl >/dev/null 2>&1 || missing+=(openssl)

if [ "${#missing[@]}" -eq 0 ]; then
  echo "install-test-deps: nothing to install"
  exit 0
fi

sudo_cmd=()
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null 2>&1 || { echo "install-test-deps: need root or sudo for: ${missing[*]}" >&2; exit 1; }
  sudo_cmd=(sudo)
fi

export DEBIAN_FRONTEND=noninteractive
# The package's post-install tries to start the system service; that is not needed
# (tests run their own instance) and fails in containers without an init system.
"${sudo_cmd[@]}" apt-get install -y --no-install-recommends "${missing[@]}" \
  || { "${sudo_cmd[@]}" apt-get update && "${sudo_cmd[@]}" apt-get install -y --no-install-recommends "${missing[@]}"; }

command -v dovecot >/dev/null 2>&1 || [ -x /usr/sbin/dovecot ] || { echo "install-test-deps: dovecot still missing" >&2; exit 1; }
echo "install-test-deps: installed ${missing[*]}"
