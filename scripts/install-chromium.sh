#!/usr/bin/env bash
# Install Chromium and its driver from Debian's packages, for the `byok report` browser test
# (tests/test_report_browser.py). Idempotent: when /usr/bin/chromium runs already it does
# nothing (no apt call, no network), so `make test` pays for it once per machine.
#
# Needs root (or sudo) and apt-get; on a machine without either it says so and exits 1, and
# the browser test then fails rather than skip: the report's claim ("opens offline, no console
# errors") is checked in a real browser or not at all.
set -euo pipefail
CHROMIUM=${BYOK_CHROMIUM:-/usr/bin/chromium}
CHROMEDRIVER=${BYOK_CHROMEDRIVER:-/usr/bin/chromedriver}
if [ -x "$CHROMIUM" ] && [ -x "$CHROMEDRIVER" ]; then
  exit 0
fi
if ! command -v apt-get >/dev/null; then
  echo "install-chromium: no apt-get here: install Chromium and set BYOK_CHROMIUM to it" >&2
  exit 1
fi
SUDO=
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "install-chromium: needs root or sudo" >&2; exit 1; }
  SUDO=sudo
fi
echo "install-chromium: installing chromium and chromium-driver from Debian's packages" >&2
export DEBIAN_FRONTEND=noninteractive
# apt-get update only when the package is unknown (a fresh image has empty lists)
apt-cache show chromium >/dev/null 2>&1 || $SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends chromium chromium-driver >/dev/null
"$CHROMIUM" --version 2>/dev/null >&2 || true
"$CHROMEDRIVER" --version >&2
