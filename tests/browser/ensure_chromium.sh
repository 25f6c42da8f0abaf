#!/bin/sh
# The browser tests drive Debian's chromium through Playwright (Playwright's own browser download is not
# reachable from CI). Installs it only when missing; CI runs as root with apt reachable.
set -eu
CHROMIUM="${CHROMIUM:-/usr/bin/chromium}"
if [ -x "$CHROMIUM" ]; then
    exit 0
fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
    SUDO="sudo"
fi
$SUDO apt-get update
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y --no-install-recommends chromium
