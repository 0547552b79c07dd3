# shellcheck shell=bash
# The find-or-start shape scripts/ensure-rabbitmq.sh and scripts/ensure-postgres.sh share, sourced
# by both: logging, a deadline for commands, waiting for a port to answer, the "already there / not
# this machine" checks, and a Docker container started or created. Each script keeps what is its
# own: how its protocol answers (port_open), how an installed server starts, the package to install.
#
# The sourcing script sets TAG (log prefix), HOST, PORT, WAIT_SECONDS and CONTAINER_NAME, and
# defines `port_open HOST PORT` (true when the server itself answers, not just a TCP proxy).

# Never block on stdin, whoever calls us.
exec </dev/null

# sbin directories are often missing from a non-root PATH.
PATH="${PATH}:/usr/local/sbin:/usr/sbin:/sbin"

log() { printf '[%s] %s\n' "$TAG" "$*"; }
err() { printf '[%s] ERROR: %s\n' "$TAG" "$*" >&2; }

have() { command -v "$1" >/dev/null 2>&1; }

# Run "$@" with a deadline of $1 seconds (uses coreutils timeout when present).
with_timeout() {
  local secs="$1"
  shift
  if have timeout; then
    timeout --kill-after=5 "$secs" "$@"
  else
    "$@"
  fi
}

# Wait until HOST:PORT answers, at most WAIT_SECONDS.
wait_for_port() {
  local deadline=$((SECONDS + WAIT_SECONDS))
  log "waiting up to ${WAIT_SECONDS}s for ${HOST}:${PORT} to answer"
  until port_open "$HOST" "$PORT"; do
    if ((SECONDS >= deadline)); then
      err "${HOST}:${PORT} still not answering after ${WAIT_SECONDS}s"
      return 1
    fi
    sleep 1
  done
  log "${HOST}:${PORT} answers"
}

# (a) Exits 0 when the server already answers; exits 1 when nothing does and HOST is not this
# machine (nothing here can start a server there). $1: the server's name, $2: the variable that sets HOST.
exit_if_answering_or_remote() {
  local server="$1" host_variable="$2"
  if port_open "$HOST" "$PORT"; then
    log "${server} already answers at ${HOST}:${PORT}"
    exit 0
  fi
  log "nothing answers at ${HOST}:${PORT}"
  case "$HOST" in
    127.* | localhost | ::1 | 0.0.0.0) ;;
    *)
      err "${host_variable}=${HOST} is not this machine, so this script cannot start ${server} there."
      err "Start ${server} on ${HOST}:${PORT}, or unset ${host_variable} to use a local one."
      exit 1
      ;;
  esac
}

docker_engine_running() { have docker && with_timeout 20 docker info >/dev/null 2>&1; }

# (c) Starts the container CONTAINER_NAME (a no-op when it runs), or creates it with
# `docker run -d --name CONTAINER_NAME "$@"`, then waits for its port.
docker_start_or_create() {
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
    log "creating container: docker run -d --name ${CONTAINER_NAME} $*"
    docker run -d --name "$CONTAINER_NAME" "$@" >/dev/null
  fi
  wait_for_port || {
    err "see: docker logs ${CONTAINER_NAME}"
    return 1
  }
}
