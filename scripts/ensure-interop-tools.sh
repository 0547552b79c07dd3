#!/usr/bin/env bash
# Make sure the foreign producers of test/interop.e2e-spec.ts can run: Python pika and Go with
# amqp091-go, from Debian's packages (the README section "Publishing from existing services"
# shows their code; the test proves it works against the service).
#
# Idempotent and non-interactive: does nothing when every package is installed; otherwise, as
# root with apt-get, runs `apt-get update` once and installs only the missing ones; otherwise
# prints the command to run and exits 1 (the interop tests would fail without them).
set -euo pipefail
exec </dev/null

PACKAGES=(python3-pika golang-go golang-github-rabbitmq-amqp091-go-dev)

log() { printf '[ensure-interop-tools] %s\n' "$*"; }

installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'; }

missing=()
if command -v dpkg-query >/dev/null 2>&1; then
  for package in "${PACKAGES[@]}"; do
    installed "$package" || missing+=("$package")
  done
else
  missing=("${PACKAGES[@]}")
fi

if [ "${#missing[@]}" -eq 0 ]; then
  log "present: ${PACKAGES[*]}"
  exit 0
fi

if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
  log "installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  log "installed ${missing[*]}"
  exit 0
fi

log "ERROR: missing ${missing[*]}; run: sudo apt-get install -y ${missing[*]}" >&2
exit 1
