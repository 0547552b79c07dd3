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

TAG="ensure-rabbitmq"
HOST="${AMQP_HOST:-127.0.0.1}"
PORT="${AMQP_PORT:-5672}"
WAIT_SECONDS="${RABBITMQ_WAIT_SECONDS:-60}"
CONTAINER_NAME="warren-rabbitmq"
DOCKER_IMAGE="rabbitmq:3-management"

# log, err, have, with_timeout, wait_for_port, exit_if_answering_or_remote, docker_start_or_create.
source "$(dirname "${BASH_SOURCE[0]}")/lib/find-or-start.sh"

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
  with_timeout 3 bash -c "$probe" _ "$1" "$2" >/dev/null 2>&1
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
  log "RabbitMQ is up at ${HOST}:${PORT}"
}

start_docker_container() {
  docker_start_or_create -p "${PORT}:5672" "$DOCKER_IMAGE" || return 1
  # docker's port proxy accepts TCP before the broker is ready: ask the broker itself.
  log "waiting up to ${WAIT_SECONDS}s for RabbitMQ inside ${CONTAINER_NAME} to finish booting"
  if ! with_timeout "$WAIT_SECONDS" docker exec "$CONTAINER_NAME" \
        rabbitmqctl --timeout "$WAIT_SECONDS" await_startup >/dev/null; then
    err "RabbitMQ in container ${CONTAINER_NAME} not ready after ${WAIT_SECONDS}s; see: docker logs ${CONTAINER_NAME}"
    return 1
  fi
  log "RabbitMQ (docker container ${CONTAINER_NAME}) is up at ${HOST}:${PORT}"
}

# (a) already reachable (or not this machine)
exit_if_answering_or_remote RabbitMQ AMQP_HOST

# (b) installed locally
if have rabbitmq-server; then
  if [[ "$PORT" != "5672" ]]; then
    log "note: a local rabbitmq-server listens on its configured port (5672 by default), AMQP_PORT=${PORT}"
  fi
  start_local_server
  exit 0
fi

# (c) docker engine running
if docker_engine_running; then
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
err "no RabbitMQ at ${HOST}:${PORT}, and none can be started automatically"
err "(rabbitmq-server not installed, no running Docker engine, not root with apt-get)."
err "Do one of the following, then re-run this script:"
if have apt-get; then
  err "  sudo apt-get update && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y rabbitmq-server && sudo rabbitmq-server -detached"
fi
err "  docker run -d --name ${CONTAINER_NAME} -p ${PORT}:5672 ${DOCKER_IMAGE}   (needs a running Docker engine)"
err "  or point AMQP_HOST/AMQP_PORT at an existing broker."
exit 1
