#!/usr/bin/env bash
# setup.sh installs what Vigil's build and tests need beyond Go itself, on a fresh Debian
# machine of the project's kind: a C compiler for cgo, rsyslog and Chromium for the
# end-to-end tests. It is idempotent and quiet when everything is already there.
set -euo pipefail

need=()
command -v gcc >/dev/null 2>&1 || need+=(gcc libc6-dev)
command -v make >/dev/null 2>&1 || need+=(make)
command -v python3 >/dev/null 2>&1 || need+=(python3)
[ -x /usr/sbin/rsyslogd ] || need+=(rsyslog) # the CEF output's end-to-end test receives into a real rsyslog
[ -x /usr/bin/chromium ] || need+=(chromium) # the console's browser test drives headless Chromium

if [ ${#need[@]} -gt 0 ]; then
  echo "setup: installing ${need[*]}"
  SUDO=""
  [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need[@]}" >/dev/null
fi
if ! command -v go >/dev/null 2>&1; then
  if [ -x /usr/local/go/bin/go ]; then
    echo "setup: add /usr/local/go/bin to PATH" >&2
  else
    echo "setup: Go is missing; install Go $(sed -n 's/^go //p' go.mod) or newer" >&2
  fi
  exit 1
fi
go mod download
