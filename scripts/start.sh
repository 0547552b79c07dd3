#!/usr/bin/env bash
# Install and run warren on a fresh machine: broker, PostgreSQL, test tools, dependencies, build, start.
set -euo pipefail
cd "$(dirname "$0")/.."

log() { printf '[start] %s\n' "$*"; }

REQUIRED_NODE="20.19"
if ! command -v node >/dev/null 2>&1; then
  echo "[start] ERROR: node is not installed; warren needs Node.js >= ${REQUIRED_NODE} (see .nvmrc)." >&2
  exit 1
fi
NODE_VERSION="$(node -p 'process.versions.node')"
IFS=. read -r NODE_MAJOR NODE_MINOR _ <<<"$NODE_VERSION"
if (( NODE_MAJOR < 20 || (NODE_MAJOR == 20 && NODE_MINOR < 19) )); then
  cat >&2 <<MSG
[start] ERROR: Node.js ${NODE_VERSION} is too old; warren needs Node.js >= ${REQUIRED_NODE}.
[start] warren is built on NestJS 12 (ES modules), which requires Node.js >= 20.19.
[start] Upgrade Node (e.g. 'nvm install' picks up .nvmrc) and re-run scripts/start.sh.
MSG
  exit 1
fi
log "node ${NODE_VERSION}, npm $(npm -v)"

bash scripts/ensure-rabbitmq.sh
bash scripts/ensure-postgres.sh
# What `npm test` needs besides the broker and PostgreSQL (its pretest checks again): Python pika
# and Go with amqp091-go for the interop tests. The service itself does not need them, so a
# machine where they cannot be installed (not root) still starts, with the command to run printed.
bash scripts/ensure-interop-tools.sh || log "npm test will need the interop tools above; the service does not"
log "npm ci"
npm ci
log "npm run build"
npm run build
node scripts/create-database.mjs
log "exec node dist/main.js"
exec node dist/main.js
