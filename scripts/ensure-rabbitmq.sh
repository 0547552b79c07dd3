#!/usr/bin/env bash
# Make sure a RabbitMQ broker is reachable at ${AMQP_HOST:-127.0.0.1}:${AMQP_PORT:-5672}.
#
# Idempotent and non-interactive (never reads stdin). Tries, in order:
#   (a) the port already accepts TCP and answers AMQP -> nothing to do
#   (b) rabbitmq-server is installed                  -> rabbitmq-server -detached, wait
#   (c) a Docker engine is running                    -> container "warren-rabbitmq", wait
#   (d) root and apt-get available                    -> apt-get install rabbitmq-server, then (b)
#   (e) otherwise                                     -> print what to run, exit 1
#
# Env: AMQP_HOST (default 127.0.0.1), AMQP_PORT (default 5672),
#      RABBITMQ_WAIT_SECONDS (default 60): deadline for each wait.
set -euo pipefail

AMQP_HOST="${AMQP_HOST:-127.0.0.1}"
AMQP_PORT="${AMQP_PORT:-5672}"
WAIT_SECONDS="${RABBITMQ_WAIT_SECONDS:-60}"
CONTAINER_NAME="warren-rabbitmq"
DOCKER_IMAGE="rabbitmq:3-management"

# Never block on stdin, whoever calls us.
exec </dev/null

log() { printf '[ensure-rabbitmq] %s\n' "$*"; }
err() { printf '[ensure-rabbitmq] ERROR: %s\n' "$*" >&2; }

# sbin directories are often missing from a non-root PATH.
PATH="${PATH}:/usr/local/sbin:/usr/sbin:/sbin"

have() { command -v "$1" >/dev/null 2>&1; }

# Run "$@" with a deadline of $1 seconds (uses coreutils timeout when present).
with_timeout() {
  local secs="$1"; shift
  if have timeout; then
    timeout --kill-after=5 "$secs" "$@"
  else
    "$@"
  fi
}

# Does a broker answer at host:port? Opens a TCP connection with bash /dev/tcp, sends the
# AMQP 0-9-1 protocol header and expects the broker's first frame (type 0x01, connection.start).
# A bare TCP connect is not enough: docker's port proxy and transparent proxies accept TCP
# with nothing behind them. Bounded to 3 s.
port_open() {
  local probe='
    exec 3<>"/dev/tcp/$1/$2" || exit 1
    printf "AMQP\x00\x00\x09\x01" >&3 || exit 1
    LC_ALL=C IFS= read -r -d "" -n 1 -t 2 -u 3 b || exit 1
    [[ "$b" == $'"'"'\x01'"'"' ]]'
  if have timeout; then
    timeout 3 bash -c "$probe" _ "$1" "$2" >/dev/null 2>&1
  else
    bash -c "$probe" _ "$1" "$2" >/dev/null 2>&1
  fi
}

# Wait until the port answers, at most WAIT_SECONDS.
wait_for_port() {
  local deadline=$((SECONDS + WAIT_SECONDS))
  log "waiting up to ${WAIT_SECONDS}s for ${AMQP_HOST}:${AMQP_PORT} to accept AMQP connections"
  until port_open "$AMQP_HOST" "$AMQP_PORT"; do
    if (( SECONDS >= deadline )); then
      err "${AMQP_HOST}:${AMQP_PORT} still not answering AMQP after ${WAIT_SECONDS}s"
      return 1
    fi
    sleep 1
  done
  log "${AMQP_HOST}:${AMQP_PORT} answers AMQP"
}

is_local_host() {
  case "$AMQP_HOST" in
    127.*|localhost|::1|0.0.0.0) return 0 ;;
    *) return 1 ;;
  esac
}

start_local_server() {
  log "starting RabbitMQ with: rabbitmq-server -detached"
  if ! rabbitmq-server -detached; then
    err "'rabbitmq-server -detached' failed (are you allowed to run it? try as root or with sudo)"
    return 1
  fi
  wait_for_port || {
    err "RabbitMQ did not open its AMQP port; check the logs under /var/log/rabbitmq/"
    return 1
  }
  log "waiting up to ${WAIT_SECONDS}s for 'rabbitmqctl await_startup'"
  if ! with_timeout "$WAIT_SECONDS" rabbitmqctl --timeout "$WAIT_SECONDS" await_startup; then
    err "'rabbitmqctl await_startup' did not succeed within ${WAIT_SECONDS}s; check /var/log/rabbitmq/"
    return 1
  fi
  log "RabbitMQ is up at ${AMQP_HOST}:${AMQP_PORT}"
}

start_docker_container() {
  local existing running
  existing="$(docker ps -a --filter "name=^/${CONTAINER_NAME}\$" --format '{{.Names}}' 2>/dev/null || true)"
  if [[ -n "$existing" ]]; then
    running="$(docker inspect -f '{{.State.Running}}' "$CONTAINER_NAME" 2>/dev/null || echo false)"
    if [[ "$running" == "true" ]]; then
      log "container ${CONTAINER_NAME} already running"
    else
      log "starting existing container ${CONTAINER_NAME}"
      docker start "$CONTAINER_NAME" >/dev/null
    fi
  else
    log "creating container: docker run -d --name ${CONTAINER_NAME} -p ${AMQP_PORT}:5672 ${DOCKER_IMAGE}"
    docker run -d --name "$CONTAINER_NAME" -p "${AMQP_PORT}:5672" "$DOCKER_IMAGE" >/dev/null
  fi
  wait_for_port || {
    err "see: docker logs ${CONTAINER_NAME}"
    return 1
  }
  # docker's port proxy accepts TCP before the broker is ready: ask the broker itself.
  log "waiting up to ${WAIT_SECONDS}s for RabbitMQ inside ${CONTAINER_NAME} to finish booting"
  if ! with_timeout "$WAIT_SECONDS" docker exec "$CONTAINER_NAME" \
        rabbitmqctl --timeout "$WAIT_SECONDS" await_startup >/dev/null; then
    err "RabbitMQ in container ${CONTAINER_NAME} not ready after ${WAIT_SECONDS}s; see: docker logs ${CONTAINER_NAME}"
    return 1
  fi
  log "RabbitMQ (docker container ${CONTAINER_NAME}) is up at ${AMQP_HOST}:${AMQP_PORT}"
}

# (a) already reachable
if port_open "$AMQP_HOST" "$AMQP_PORT"; then
  log "RabbitMQ already running"
  log "${AMQP_HOST}:${AMQP_PORT} answers AMQP"
  exit 0
fi

log "nothing answers at ${AMQP_HOST}:${AMQP_PORT}"

if ! is_local_host; then
  err "AMQP_HOST=${AMQP_HOST} is not this machine, so this script cannot start a broker there."
  err "Start RabbitMQ on ${AMQP_HOST}:${AMQP_PORT}, or unset AMQP_HOST to use a local broker."
  exit 1
fi

# (b) installed locally
if have rabbitmq-server; then
  if [[ "$AMQP_PORT" != "5672" ]]; then
    log "note: a local rabbitmq-server listens on its configured port (5672 by default), AMQP_PORT=${AMQP_PORT}"
  fi
  start_local_server
  exit 0
fi

# (c) docker engine running
if have docker && with_timeout 20 docker info >/dev/null 2>&1; then
  start_docker_container
  exit 0
fi

# (d) root + apt-get
if [[ "$(id -u)" == "0" ]] && have apt-get; then
  log "installing rabbitmq-server with apt-get (this can take a few minutes)"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update
  apt-get install -y rabbitmq-server
  if ! have rabbitmq-server; then
    err "apt-get finished but rabbitmq-server is not on PATH"
    exit 1
  fi
  start_local_server
  exit 0
fi

# (e) tell the user what to do
err "no RabbitMQ at ${AMQP_HOST}:${AMQP_PORT}, and none can be started automatically"
err "(rabbitmq-server not installed, no running Docker engine, not root with apt-get)."
err "Do one of the following, then re-run this script:"
if have apt-get; then
  err "  sudo apt-get update && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y rabbitmq-server && sudo rabbitmq-server -detached"
fi
err "  docker run -d --name ${CONTAINER_NAME} -p ${AMQP_PORT}:5672 ${DOCKER_IMAGE}   (needs a running Docker engine)"
err "  or point AMQP_HOST/AMQP_PORT at an existing broker."
exit 1
