#!/usr/bin/env bash
# A disposable three-node RabbitMQ cluster on this machine, for quorum-queue and failover tests.
#
#   scripts/cluster.sh up       start warren-c1/c2/c3@localhost (AMQP 5681-5683), cluster them,
#                               print   AMQP_URL=amqp://guest:guest@127.0.0.1:5681,...5682,...5683
#                               on stdout (the only stdout line; progress goes to stderr)
#   scripts/cluster.sh down     stop the three nodes (SIGKILL after a deadline), delete their data
#   scripts/cluster.sh status   per-node state and the cluster's running nodes; exit 0 when all 3 run
#   scripts/cluster.sh ctl ...  rabbitmqctl against the cluster (default -n warren-c1@localhost)
#   scripts/cluster.sh queues ...            rabbitmq-queues, same (e.g. quorum_status <queue>)
#
# Idempotent: `up` twice leaves one cluster, `down` when nothing runs is a no-op.
# It never touches the shared broker rabbit@localhost (5672/25672): the nodes have their own
# names, ports (AMQP 5681-5683, distribution 25681-25683, CLI an ephemeral port), config,
# env file, data under ${TMPDIR:-/tmp}/warren-cluster, no plugins, and their own Erlang cookie
# (in ${TMPDIR:-/tmp}/warren-cluster/home), so a stray CLI call cannot even authenticate to the
# shared node. They share only the machine's epmd (127.0.0.1:4369), under their own names.
# Because of the own cookie, plain `rabbitmqctl -n warren-c1@localhost ...` (the /usr/sbin wrapper
# runs as the rabbitmq user with the shared cookie) cannot reach them: use `scripts/cluster.sh ctl`.
#
# The real RabbitMQ scripts are run directly (not the /usr/sbin su wrapper), as the calling user;
# each node's beam carries `-warren_node <node>` so its processes are found by that exact marker.
#
# Env: CLUSTER_WAIT_SECONDS (default 120): deadline for each wait.
#      WARREN_RABBITMQ_BIN_DIR: directory of rabbitmq-server/rabbitmqctl (auto-detected).
set -euo pipefail
exec </dev/null

BASE="${TMPDIR:-/tmp}"
BASE="${BASE%/}/warren-cluster"
WAIT_SECONDS="${CLUSTER_WAIT_SECONDS:-120}"
NODES=(warren-c1@localhost warren-c2@localhost warren-c3@localhost)
AMQP_PORTS=(5681 5682 5683)
DIST_PORTS=(25681 25682 25683)
SEED="${NODES[0]}"

log() { printf '[cluster] %s\n' "$*" >&2; }
die() { printf '[cluster] ERROR: %s\n' "$*" >&2; exit 1; }

find_bin_dir() {
  local dir
  for dir in "${WARREN_RABBITMQ_BIN_DIR:-}" /usr/lib/rabbitmq/bin /usr/lib/rabbitmq/lib/rabbitmq_server-*/sbin; do
    if [[ -n "$dir" && -x "$dir/rabbitmq-server" && -x "$dir/rabbitmqctl" ]]; then
      printf '%s\n' "$dir"
      return 0
    fi
  done
  return 1
}

BIN_DIR="$(find_bin_dir)" || die "rabbitmq-server not found in /usr/lib/rabbitmq/bin (install rabbitmq-server or set WARREN_RABBITMQ_BIN_DIR)"
command -v erl >/dev/null 2>&1 || die "Erlang (erl) is not on PATH"
command -v timeout >/dev/null 2>&1 || die "coreutils timeout is required"

node_dir() { printf '%s/c%s\n' "$BASE" "$(( $1 + 1 ))"; }

# Runs "$@" in a clean environment for node $1 (index 0-2): nothing from the caller's RABBITMQ_*
# or /etc/rabbitmq leaks in.
with_node_env() {
  local i="$1"; shift
  local d; d="$(node_dir "$i")"
  env -i \
    PATH="${PATH}:/usr/bin:/bin" LANG="${LANG:-C.UTF-8}" \
    HOME="$BASE/home" \
    RABBITMQ_NODENAME="${NODES[$i]}" \
    RABBITMQ_NODE_IP_ADDRESS=127.0.0.1 \
    RABBITMQ_NODE_PORT="${AMQP_PORTS[$i]}" \
    RABBITMQ_DIST_PORT="${DIST_PORTS[$i]}" \
    RABBITMQ_CONF_ENV_FILE="$d/rabbitmq-env.conf" \
    RABBITMQ_CONFIG_FILE="$d/rabbitmq.conf" \
    RABBITMQ_CONFIG_FILES="$d/conf.d/*.conf" \
    RABBITMQ_ADVANCED_CONFIG_FILE="$d/advanced.config" \
    RABBITMQ_ENABLED_PLUGINS_FILE="$d/enabled_plugins" \
    RABBITMQ_MNESIA_BASE="$d/mnesia" \
    RABBITMQ_LOG_BASE="$d/log" \
    RABBITMQ_PID_FILE="$d/rabbitmq.pid" \
    RABBITMQ_CTL_DIST_PORT_MIN=0 RABBITMQ_CTL_DIST_PORT_MAX=0 \
    ERL_EPMD_ADDRESS=127.0.0.1 \
    ERL_FLAGS='-kernel inet_dist_use_interface {127,0,0,1}' \
    "$@"
}

# ctl <index> <seconds> <tool> args...: a CLI call against node <index> with a deadline.
ctl() {
  local i="$1" secs="$2" tool="$3"; shift 3
  with_node_env "$i" timeout --kill-after=5 "$secs" "$BIN_DIR/$tool" -n "${NODES[$i]}" "$@"
}

# Pids whose command line carries "-warren_node <node>" (the rabbitmq-server script and the VM).
node_pids() {
  pgrep -f -- "-warren_node ${NODES[$1]}( |\$)" || true
}

port_open() {
  timeout 2 bash -c 'exec 3<>"/dev/tcp/127.0.0.1/$1"' _ "$1" >/dev/null 2>&1
}

log_tail() {
  local d; d="$(node_dir "$1")"
  {
    echo "--- $d/server.out (tail)"; tail -n 20 "$d/server.out" 2>/dev/null || true
    echo "--- $d/log/${NODES[$1]}.log (tail)"; tail -n 20 "$d/log/${NODES[$1]}.log" 2>/dev/null || true
  } >&2
}

# Running members of the seed's cluster, one per line (empty when the seed does not answer).
running_nodes() {
  local json
  [[ -n "$(node_pids 0)" ]] || return 0
  json="$(ctl 0 30 rabbitmqctl -q cluster_status --formatter json 2>/dev/null)" || return 0
  grep -o '"running_nodes":\[[^]]*\]' <<<"$json" | grep -o 'warren-c[0-9]@[a-z0-9.-]*' || true
}

all_nodes_of_seed() {
  local json
  [[ -n "$(node_pids 0)" ]] || return 0
  json="$(ctl 0 30 rabbitmqctl -q cluster_status --formatter json 2>/dev/null)" || return 0
  grep -o '"disk_nodes":\[[^]]*\]' <<<"$json" | grep -o 'warren-c[0-9]@[a-z0-9.-]*' || true
}

write_node_files() {
  local i="$1" d; d="$(node_dir "$i")"
  mkdir -p "$d/mnesia" "$d/log"
  printf '# Disposable cluster node: settings come from the environment; /etc/rabbitmq is not read.\n' >"$d/rabbitmq-env.conf"
  printf '[].\n' >"$d/enabled_plugins"
  cat >"$d/rabbitmq.conf" <<CONF
# ${NODES[$i]} (scripts/cluster.sh)
listeners.tcp.default = 127.0.0.1:${AMQP_PORTS[$i]}
loopback_users.guest = true
CONF
}

start_node() {
  local i="$1" d port; d="$(node_dir "$i")"
  if [[ -n "$(node_pids "$i")" ]]; then
    log "${NODES[$i]} already running (pids $(node_pids "$i" | tr '\n' ' ' | sed 's/ $//'))"
    return 0
  fi
  for port in "${AMQP_PORTS[$i]}" "${DIST_PORTS[$i]}"; do
    if port_open "$port"; then
      die "port $port (for ${NODES[$i]}) is already in use by another process"
    fi
  done
  write_node_files "$i"
  rm -f "$d/rabbitmq.pid"
  log "starting ${NODES[$i]} (AMQP ${AMQP_PORTS[$i]}, dist ${DIST_PORTS[$i]}, dir $d)"
  with_node_env "$i" setsid "$BIN_DIR/rabbitmq-server" -warren_node "${NODES[$i]}" >>"$d/server.out" 2>&1 &
  disown || true
}

wait_booted() {
  local i="$1" deadline="$2" left
  while :; do
    left=$(( deadline - SECONDS ))
    (( left > 0 )) || { log_tail "$i"; die "${NODES[$i]} did not finish booting within ${WAIT_SECONDS}s"; }
    if ctl "$i" "$(( left + 1 ))" rabbitmqctl -q await_startup --timeout "$left" >/dev/null 2>&1 && port_open "${AMQP_PORTS[$i]}"; then
      return 0
    fi
    if [[ -z "$(node_pids "$i")" ]]; then
      log_tail "$i"
      die "${NODES[$i]} exited while booting"
    fi
    sleep 0.3
  done
}

cmd_up() {
  mkdir -p "$BASE/home"
  chmod 700 "$BASE" "$BASE/home"
  if [[ ! -s "$BASE/home/.erlang.cookie" ]]; then
    local cookie
    cookie="$(head -c 4096 /dev/urandom | LC_ALL=C tr -dc 'A-Z')"
    (umask 077; printf '%s' "${cookie:0:32}" >"$BASE/home/.erlang.cookie")
    chmod 400 "$BASE/home/.erlang.cookie"
  fi
  local started=$SECONDS deadline=$(( SECONDS + WAIT_SECONDS )) i
  for i in 0 1 2; do start_node "$i"; done
  for i in 0 1 2; do wait_booted "$i" "$deadline"; done
  log "3 nodes booted in $(( SECONDS - started ))s"

  local members
  members="$(all_nodes_of_seed)"
  for i in 1 2; do
    if grep -qx "${NODES[$i]}" <<<"$members"; then
      continue
    fi
    log "joining ${NODES[$i]} to ${SEED}"
    ctl "$i" 60 rabbitmqctl -q stop_app >/dev/null || die "${NODES[$i]}: stop_app failed"
    ctl "$i" 60 rabbitmqctl -q join_cluster "$SEED" >/dev/null || die "${NODES[$i]}: join_cluster ${SEED} failed"
    ctl "$i" 60 rabbitmqctl -q start_app >/dev/null || die "${NODES[$i]}: start_app failed"
  done

  deadline=$(( SECONDS + WAIT_SECONDS ))
  while [[ "$(running_nodes | sort -u | wc -l)" -ne 3 ]]; do
    (( SECONDS < deadline )) || die "cluster of ${SEED} does not show 3 running nodes after ${WAIT_SECONDS}s: $(running_nodes | tr '\n' ' ')"
    sleep 0.5
  done
  log "cluster up in $(( SECONDS - started ))s: $(running_nodes | tr '\n' ' ')"
  log "CLI: scripts/cluster.sh ctl cluster_status | scripts/cluster.sh queues quorum_status <queue>"
  printf 'AMQP_URL=amqp://guest:guest@127.0.0.1:%s,amqp://guest:guest@127.0.0.1:%s,amqp://guest:guest@127.0.0.1:%s\n' "${AMQP_PORTS[@]}"
}

cmd_down() {
  local i any=0 stop_jobs=() left
  # One deadline for the whole stop: graceful first, SIGKILL for whatever is left after it
  # (a node whose peer hangs can wait for net_ticktime otherwise).
  local deadline=$(( SECONDS + 30 ))
  for i in 0 1 2; do
    if [[ -n "$(node_pids "$i")" ]]; then
      any=1
      log "stopping ${NODES[$i]}"
      ctl "$i" 25 rabbitmqctl -q stop >/dev/null 2>&1 &
      stop_jobs+=("$!")
    fi
  done
  while :; do
    left="$(for i in 0 1 2; do node_pids "$i"; done | tr '\n' ' ')"
    if [[ -z "${left// /}" ]]; then break; fi
    if (( SECONDS >= deadline )); then
      log "still running after 30s, SIGKILL: ${left}"
      for i in $left; do kill -KILL "$i" 2>/dev/null || true; done
      local kill_deadline=$(( SECONDS + 10 ))
      while [[ -n "$(for i in 0 1 2; do node_pids "$i"; done)" ]]; do
        (( SECONDS < kill_deadline )) || die "could not kill $(for i in 0 1 2; do node_pids "$i"; done | tr '\n' ' ')"
        sleep 0.2
      done
      break
    fi
    sleep 0.3
  done
  for i in "${stop_jobs[@]}"; do
    kill "$i" 2>/dev/null || true
    wait "$i" 2>/dev/null || true
  done
  for i in 0 1 2; do
    if port_open "${AMQP_PORTS[$i]}"; then
      die "port ${AMQP_PORTS[$i]} still answers after ${NODES[$i]} went down"
    fi
  done
  if [[ -d "$BASE" ]]; then
    [[ "$BASE" == */warren-cluster ]] || die "refusing to delete $BASE"
    rm -rf -- "$BASE"
  fi
  if (( any )); then log "cluster down, $BASE removed"; else log "nothing was running; $BASE is gone"; fi
}

cmd_status() {
  local i up=0 pids
  for i in 0 1 2; do
    pids="$(node_pids "$i" | tr '\n' ' ')"
    if [[ -n "${pids// /}" ]] && port_open "${AMQP_PORTS[$i]}"; then
      printf '%s  up    amqp://guest:guest@127.0.0.1:%s  pids %s\n' "${NODES[$i]}" "${AMQP_PORTS[$i]}" "$pids"
      up=$(( up + 1 ))
    elif [[ -n "${pids// /}" ]]; then
      printf '%s  starting or stuck (AMQP port closed)  pids %s\n' "${NODES[$i]}" "$pids"
    else
      printf '%s  down\n' "${NODES[$i]}"
    fi
  done
  local running; running="$(running_nodes | tr '\n' ' ')"
  printf 'running cluster members (seen from %s): %s\n' "$SEED" "${running:-none}"
  [[ "$up" -eq 3 && "$(wc -w <<<"$running")" -eq 3 ]] || exit 3
}

# ctl/queues: pass-through with the cluster's cookie; only warren-c* nodes.
cmd_cli() {
  local tool="$1"; shift
  local target="$SEED" args=() i
  while (( $# )); do
    case "$1" in
      -n|--node) target="${2:-}"; shift 2 ;;
      --node=*) target="${1#--node=}"; shift ;;
      *) args+=("$1"); shift ;;
    esac
  done
  for i in 0 1 2; do
    if [[ "${NODES[$i]}" == "$target" || "${NODES[$i]%@*}" == "$target" ]]; then
      ctl "$i" "$WAIT_SECONDS" "$tool" "${args[@]}"
      return
    fi
  done
  die "refusing -n $target: only ${NODES[*]}"
}

case "${1:-}" in
  up) cmd_up ;;
  down) cmd_down ;;
  status) cmd_status ;;
  ctl) shift; cmd_cli rabbitmqctl "$@" ;;
  queues) shift; cmd_cli rabbitmq-queues "$@" ;;
  *) echo "usage: $0 up|down|status|ctl <rabbitmqctl args>|queues <rabbitmq-queues args>" >&2; exit 2 ;;
esac
