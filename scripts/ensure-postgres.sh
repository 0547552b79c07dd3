#!/usr/bin/env bash
# Make sure a PostgreSQL server is reachable at ${PGHOST:-127.0.0.1}:${PGPORT:-5432}, for the
# outbox and inbox (DATABASE_URL, default postgres://postgres@127.0.0.1:5432/warren, a database scripts/start.sh creates).
#
# Idempotent and non-interactive (never reads stdin). Tries, in order:
#   (a) the port answers the PostgreSQL protocol          -> nothing to do
#   (b) a Debian cluster is installed (pg_ctlcluster)     -> start it (or create one), wait
#   (c) a Docker engine is running                        -> container "warren-postgres", wait
#   (d) root and apt-get available                        -> apt-get install postgresql, then (b)
#   (e) otherwise                                         -> print what to run, exit 1
# A cluster this script creates or installs (b, d) and the container (c) let the `postgres` user
# in from 127.0.0.1 without a password (trust), as DATABASE_URL's default expects: a developer
# and CI set-up, not a production one.
#
# Env: PGHOST (default 127.0.0.1), PGPORT (default 5432),
#      POSTGRES_WAIT_SECONDS (default 60): deadline for each wait.
set -euo pipefail

TAG="ensure-postgres"
HOST="${PGHOST:-127.0.0.1}"
PORT="${PGPORT:-5432}"
WAIT_SECONDS="${POSTGRES_WAIT_SECONDS:-60}"
CONTAINER_NAME="warren-postgres"
DOCKER_IMAGE="postgres:15"

# log, err, have, with_timeout, wait_for_port, exit_if_answering_or_remote, docker_start_or_create.
source "$(dirname "${BASH_SOURCE[0]}")/lib/find-or-start.sh"

# Does a PostgreSQL server answer at host:port? Sends an SSLRequest (length 8, code 80877103)
# and expects the one-byte answer 'S' or 'N': a bare TCP connect is not enough (docker's port
# proxy accepts TCP with nothing behind it). Bounded to 3 s.
port_open() {
  local probe='
    exec 3<>"/dev/tcp/$1/$2" || exit 1
    printf "\x00\x00\x00\x08\x04\xd2\x16\x2f" >&3 || exit 1
    LC_ALL=C IFS= read -r -d "" -n 1 -t 2 -u 3 b || exit 1
    [[ "$b" == S || "$b" == N ]]'
  with_timeout 3 bash -c "$probe" _ "$1" "$2" >/dev/null 2>&1
}

# Lets the postgres user in from 127.0.0.1 without a password (the first matching pg_hba line wins).
trust_local_postgres() {
  local version="$1" cluster="$2" hba
  hba="/etc/postgresql/${version}/${cluster}/pg_hba.conf"
  if [[ -w "$hba" ]] && ! grep -q '^host all postgres 127.0.0.1/32 trust' "$hba"; then
    log "letting postgres in from 127.0.0.1 without a password (${hba})"
    sed -i '1i host all postgres 127.0.0.1/32 trust' "$hba"
    pg_ctlcluster "$version" "$cluster" reload || true
  fi
}

start_debian_cluster() {
  local line version cluster
  line="$(pg_lsclusters --no-header 2>/dev/null | head -n 1 || true)"
  if [[ -z "$line" ]]; then
    version="$(ls /usr/lib/postgresql | sort -V | tail -n 1)"
    log "no cluster yet: pg_createcluster ${version} main --port ${PORT}"
    pg_createcluster "$version" main --port "$PORT" >/dev/null
    cluster=main
    trust_local_postgres "$version" "$cluster"
  else
    read -r version cluster _ <<<"$line"
  fi
  log "starting PostgreSQL with: pg_ctlcluster ${version} ${cluster} start"
  if ! pg_ctlcluster "$version" "$cluster" start 2>/dev/null; then
    pg_lsclusters --no-header | grep -q "^${version} *${cluster} .*online" || {
      err "'pg_ctlcluster ${version} ${cluster} start' failed (try as root); see /var/log/postgresql/"
      return 1
    }
  fi
  wait_for_port || {
    err "PostgreSQL did not open ${HOST}:${PORT}; see /var/log/postgresql/"
    return 1
  }
}

start_docker_container() {
  docker_start_or_create -p "${PORT}:5432" -e POSTGRES_HOST_AUTH_METHOD=trust "$DOCKER_IMAGE" || return 1
  # The image's first start runs init scripts on a temporary server, then restarts it.
  local deadline=$((SECONDS + WAIT_SECONDS))
  until with_timeout 5 docker exec "$CONTAINER_NAME" pg_isready -h 127.0.0.1 -U postgres >/dev/null 2>&1; do
    if ((SECONDS >= deadline)); then
      err "PostgreSQL in ${CONTAINER_NAME} not ready after ${WAIT_SECONDS}s; see: docker logs ${CONTAINER_NAME}"
      return 1
    fi
    sleep 1
  done
  log "PostgreSQL (docker container ${CONTAINER_NAME}) is up at ${HOST}:${PORT}"
}

# (a) already answering (or not this machine)
exit_if_answering_or_remote PostgreSQL PGHOST

# (b) a Debian cluster installed
if have pg_ctlcluster && [[ -d /usr/lib/postgresql ]] && [[ -n "$(ls /usr/lib/postgresql 2>/dev/null)" ]]; then
  start_debian_cluster
  exit 0
fi

# (c) docker engine running
if docker_engine_running; then
  start_docker_container
  exit 0
fi

# (d) root + apt-get
if [[ "$(id -u)" == "0" ]] && have apt-get; then
  log "installing postgresql with apt-get (this can take a few minutes)"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update
  apt-get install -y postgresql
  if ! have pg_ctlcluster; then
    err "apt-get finished but pg_ctlcluster is not on PATH"
    exit 1
  fi
  start_debian_cluster
  read -r version cluster _ <<<"$(pg_lsclusters --no-header | head -n 1)"
  trust_local_postgres "$version" "$cluster"
  exit 0
fi

# (e) tell the user what to do
err "no PostgreSQL at ${HOST}:${PORT}, and none can be started automatically"
err "(no Debian cluster installed, no running Docker engine, not root with apt-get)."
err "Do one of the following, then re-run this script:"
if have apt-get; then
  err "  sudo apt-get update && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y postgresql"
fi
err "  docker run -d --name ${CONTAINER_NAME} -p ${PORT}:5432 -e POSTGRES_HOST_AUTH_METHOD=trust ${DOCKER_IMAGE}   (needs a running Docker engine)"
err "  or point DATABASE_URL (and PGHOST/PGPORT for this script) at an existing server."
exit 1
