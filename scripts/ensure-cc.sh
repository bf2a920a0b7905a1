#!/usr/bin/env bash
# The race detector (go test -race) needs cgo, so a C compiler. Installs
# Debian's gcc when none is present; quiet when one is.
set -euo pipefail

if command -v gcc >/dev/null 2>&1 || command -v cc >/dev/null 2>&1; then
	exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
	echo "ensure-cc: no C compiler found and no apt-get to install one; install gcc for 'go test -race'" >&2
	exit 1
fi
echo "ensure-cc: installing gcc (needed by go test -race)"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq gcc libc6-dev >/dev/null
