#!/usr/bin/env bash
# Install what the tests need beyond Python packages (idempotent).
set -euo pipefail
if ! command -v dovecot >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq dovecot-imapd >/dev/null
fi
