#!/usr/bin/env bash
# Installs Debian's chromium for the evidence page test (test/evidence/html.test.ts), which
# opens the pack's index.html in headless Chromium through playwright-core. Does nothing when
# /usr/bin/chromium is already there; quiet otherwise. Needs root, or sudo without a password.
set -euo pipefail
if [ -x /usr/bin/chromium ]; then
  exit 0
fi
export DEBIAN_FRONTEND=noninteractive
sudo=()
if [ "$(id -u)" -ne 0 ] && command -v sudo >/dev/null; then sudo=(sudo -E); fi
"${sudo[@]}" apt-get update -qq >/dev/null
"${sudo[@]}" apt-get install -y -qq --no-install-recommends chromium >/dev/null
echo "Installed $(/usr/bin/chromium --version 2>/dev/null || echo chromium)."
