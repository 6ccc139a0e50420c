#!/usr/bin/env bash
# System packages the test suite needs beyond pip and npm: Chromium (Playwright's end-to-end tests
# drive /usr/bin/chromium), poppler's pdftoppm (printed documents rendered to PNG), DejaVu fonts and
# gettext (the translation test extracts the messages with makemessages, which runs xgettext).
# Installs Debian's packages with apt-get as root, or through `sudo -n` where that works; otherwise
# stops at once with the one command to run. Used by `make test` and by .ci/run.
set -euo pipefail

PACKAGES="chromium poppler-utils fonts-dejavu-core gettext"
missing=""
command -v chromium >/dev/null 2>&1 || missing="$missing chromium"
command -v pdftoppm >/dev/null 2>&1 || missing="$missing pdftoppm"
command -v xgettext >/dev/null 2>&1 || missing="$missing xgettext"
[ -z "$missing" ] && exit 0

if ! command -v apt-get >/dev/null 2>&1; then
  echo "system-deps: missing:$missing; this is not a Debian system: install Chromium, poppler-utils and DejaVu fonts with its package manager" >&2
  exit 1
fi
if [ "$(id -u)" -eq 0 ]; then
  SUDO=""
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
  SUDO="sudo -n"
else
  echo "system-deps: missing:$missing; run: sudo apt-get update && sudo apt-get install -y $PACKAGES" >&2
  exit 1
fi

echo "system-deps: installing $PACKAGES (missing:$missing)"
export DEBIAN_FRONTEND=noninteractive
# shellcheck disable=SC2086 # $SUDO and $PACKAGES are word lists on purpose
$SUDO apt-get update -qq
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq $PACKAGES >/dev/null
