/**
 * Disposable RabbitMQ nodes for tests that must stop, kill or block a broker.
 *
 * The machine's shared broker (rabbit@localhost, 127.0.0.1:5672) is used by CI and every other
 * suite; it must never be stopped, blocked or reconfigured. A `DisposableBroker` is a separate
 * RabbitMQ node on the same machine, started from the installed RabbitMQ, with nothing in common
 * with the shared node except the binaries and the epmd name registry:
 *
 * | what                       | disposable node                                   | shared node           |
 * |----------------------------|---------------------------------------------------|-----------------------|
 * | node name                  | `warren-test-<label>-<random>@localhost`          | `rabbit@localhost`    |
 * | AMQP / distribution ports  | two free ports in 21000-31999 (never 5672, 25672) | 5672 / 25672          |
 * | CLI distribution port      | ephemeral (RABBITMQ_CTL_DIST_PORT_MIN/MAX=0)      | 35672-35682           |
 * | config, env file, plugins  | files in the node's own mkdtemp dir, no plugins   | /etc/rabbitmq/*       |
 * | mnesia, logs, pid file     | in the node's own dir, removed by `remove()`      | /var/lib, /var/log    |
 * | Erlang cookie              | its own, in `<dataDir>/home/.erlang.cookie`       | /var/lib/rabbitmq     |
 * | epmd                       | the machine's epmd at 127.0.0.1:4369 (unique name)| same                  |
 *
 * The own cookie means a disposable node's CLI *cannot* talk to the shared node even by mistake,
 * and `rabbitmqctl()` below refuses any target that is not a `warren-*` node.
 *
 * How RabbitMQ 3.10 is started (read from /usr/lib/rabbitmq and rabbit_env.beam on this machine):
 * - `/usr/sbin/rabbitmq-server` and `/usr/sbin/rabbitmqctl` are a wrapper that, for root, re-runs
 *   the command as the `rabbitmq` user with `su` (HOME=/var/lib/rabbitmq, the shared cookie). We
 *   bypass it and run the real scripts in `/usr/lib/rabbitmq/bin` (links into
 *   `lib/rabbitmq_server-3.10.8/sbin`), which work for root and for any other user because every
 *   path they write is in our own data dir.
 * - `rabbitmq-env` sources `$RABBITMQ_CONF_ENV_FILE` (default /etc/rabbitmq/rabbitmq-env.conf,
 *   which sets NODENAME=rabbit@localhost); we point it at an empty file of our own.
 * - rabbit_env honours RABBITMQ_NODENAME, RABBITMQ_NODE_IP_ADDRESS, RABBITMQ_NODE_PORT,
 *   RABBITMQ_DIST_PORT, RABBITMQ_CONFIG_FILE, RABBITMQ_CONFIG_FILES (conf.d pattern, default
 *   /etc/rabbitmq/conf.d/*.conf), RABBITMQ_ADVANCED_CONFIG_FILE, RABBITMQ_ENABLED_PLUGINS_FILE,
 *   RABBITMQ_MNESIA_BASE, RABBITMQ_LOG_BASE, RABBITMQ_PID_FILE, RABBITMQ_CONF_ENV_FILE; variables
 *   already in the environment win over the env file. Quorum/stream dirs, feature flags file
 *   and the plugin expand dir default to places under RABBITMQ_MNESIA_BASE.
 * - Like the shared node, distribution listens on 127.0.0.1 only (ERL_EPMD_ADDRESS and
 *   `-kernel inet_dist_use_interface`).
 * - The beam command line carries `-warren_node <nodeName>` (an inert user flag) so that
 *   `pgrep -f <nodeName>` finds the node's processes and `kill()` can check it has the right pid.
 *
 * A start takes ~5-8 s on this machine (first boot creates the schema); every wait has a
 * deadline and its error says what did not happen, with the tail of the node's logs.
 */
export * from './disposable-node/broker-defaults.js';
export { isPortOpen } from './disposable-node/ports.js';
export { canStartDisposableBroker, disposableBrokerUnavailableReason } from './disposable-node/rabbitmq-tools.js';
export { rabbitmqctl } from './disposable-node/rabbitmqctl.js';
export { DisposableBroker } from './disposable-node/disposable-broker.js';
