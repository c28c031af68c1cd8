#!/usr/bin/env bash
# Installs Debian's chromium for the evidence page test (test/evidence/html.test.ts), which
# opens the pack's index.html in headless Chromium through playwright-core. Does nothing when
# /usr/bin/chromium is already there; quiet otherwise. Needs root (CI runs as root).
set -euo pipefail
if [ -x /usr/bin/chromium ]; then
  exit 0
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >/dev/null
apt-get install -y -qq --no-install-recommends chromium >/dev/null
echo "Installed $(/usr/bin/chromium --version 2>/dev/null || echo chromium)."
