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
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { accessSync, closeSync, constants, existsSync, openSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, rm, unlink, writeFile } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';

/** Default deadlines (ms). A node boots in ~5-8 s here; CI machines may be slower. */
export const DEFAULT_START_TIMEOUT_MS = 60_000;
export const DEFAULT_STOP_TIMEOUT_MS = 60_000;
export const DEFAULT_KILL_TIMEOUT_MS = 30_000;
export const DEFAULT_CTL_TIMEOUT_MS = 30_000;

/** The watermark `blockPublishers()` sets (raises the memory alarm at once) and the one `unblock()` restores. */
export const BLOCKING_MEMORY_WATERMARK = '0.0000001';
export const NORMAL_MEMORY_WATERMARK = '0.4';

/** Ports a disposable node never takes: the shared node's and scripts/cluster.sh's. */
const PORT_RANGE = { min: 21_000, max: 31_999 };
const RESERVED_PORTS = new Set([4369, 5671, 5672, 15672, 15692, 25672, 5681, 5682, 5683, 25681, 25682, 25683]);

/** Env vars that must not leak from the caller into a disposable node or its CLI. */
const STRIPPED_ENV =
  /^(RABBITMQ_|NODENAME$|NODE_PORT$|NODE_IP_ADDRESS$|CONFIG_FILE$|MNESIA_BASE$|LOG_BASE$|ERL_FLAGS$|ERL_AFLAGS$|ERL_ZFLAGS$|ERL_EPMD_PORT$|ERL_EPMD_ADDRESS$|ERL_LIBS$)/;

export interface StartOptions {
  /** A label put into the node name: `warren-test-<label>-<random>@localhost`. */
  name?: string;
  /** Deadline for the node to boot and answer on its AMQP port (default 60 s). */
  startTimeoutMs?: number;
  /** Extra rabbitmq.conf lines (e.g. a manifest's additionalConfig), written to conf.d before the first boot. */
  config?: string;
}

export interface RabbitmqctlOptions {
  /** Environment for the CLI (merged over a cleaned copy of process.env). Must carry the node's HOME (cookie). */
  env?: NodeJS.ProcessEnv;
  /** Kill the CLI after this long (default 30 s). */
  timeoutMs?: number;
  /** Resolve with the exit code instead of throwing when the CLI exits non-zero. */
  allowFailure?: boolean;
  /** Which CLI script (default rabbitmqctl). */
  tool?: 'rabbitmqctl' | 'rabbitmq-queues' | 'rabbitmq-diagnostics';
}

export interface CtlResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface ConnectionInfo {
  name: string;
  user: string;
  /** e.g. running, blocking, blocked, flow */
  state: string;
  /** client_properties as a plain object (rabbitmqctl's [key, type, value] triples decoded). */
  clientProperties: Record<string, unknown>;
  /** `clientProperties.connection_name`, when the client set one. */
  connectionName?: string;
}

export interface QueueDepth {
  /** ready + unacknowledged */
  messages: number;
  ready: number;
  unacked: number;
}

// ---------------------------------------------------------------------------------------------
// Locating RabbitMQ

interface Tools {
  binDir: string;
}

let toolsCache: Tools | null | undefined;

/** The directory holding the real rabbitmq-server / rabbitmqctl scripts (not the /usr/sbin su wrapper). */
function locateTools(): Tools | null {
  if (toolsCache !== undefined) {
    return toolsCache;
  }
  const candidates: string[] = [];
  if (process.env.WARREN_RABBITMQ_BIN_DIR) {
    candidates.push(process.env.WARREN_RABBITMQ_BIN_DIR);
  }
  candidates.push('/usr/lib/rabbitmq/bin');
  try {
    for (const entry of readdirSync('/usr/lib/rabbitmq/lib').sort().reverse()) {
      if (entry.startsWith('rabbitmq_server-')) {
        candidates.push(join('/usr/lib/rabbitmq/lib', entry, 'sbin'));
      }
    }
  } catch {
    // not a Debian-style install
  }
  candidates.push('/usr/local/opt/rabbitmq/sbin', '/opt/homebrew/opt/rabbitmq/sbin');
  toolsCache = null;
  for (const dir of candidates) {
    if (isExecutable(join(dir, 'rabbitmq-server')) && isExecutable(join(dir, 'rabbitmqctl'))) {
      toolsCache = { binDir: dir };
      break;
    }
  }
  return toolsCache;
}

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

function onPath(command: string): boolean {
  return (process.env.PATH ?? '').split(delimiter).some((dir) => dir && isExecutable(join(dir, command)));
}

/**
 * Why a disposable broker cannot be started here, or null when it can. Tests use it to skip with
 * a clear message (`describe.skip` + the reason) instead of failing on machines without RabbitMQ.
 */
export function disposableBrokerUnavailableReason(): string | null {
  if (process.platform === 'win32') {
    return 'disposable RabbitMQ nodes need a Unix rabbitmq-server install (this is Windows)';
  }
  const tools = locateTools();
  if (!tools) {
    return (
      'rabbitmq-server/rabbitmqctl scripts not found in /usr/lib/rabbitmq/bin or ' +
      '/usr/lib/rabbitmq/lib/rabbitmq_server-*/sbin (install rabbitmq-server, or set WARREN_RABBITMQ_BIN_DIR)'
    );
  }
  if (!onPath('erl')) {
    return `Erlang (erl) is not on PATH, which ${tools.binDir}/rabbitmq-server needs`;
  }
  try {
    accessSync(tmpdir(), constants.W_OK | constants.X_OK);
  } catch {
    return `${tmpdir()} is not writable (each disposable node needs its own data dir there)`;
  }
  return null;
}

/**
 * True when a disposable node can be started: the real RabbitMQ scripts and Erlang are installed
 * and the temp dir is writable. Any user works (root included): the node runs as the caller with
 * every file in its own dir, so neither root nor the `rabbitmq` user is required.
 */
export function canStartDisposableBroker(): boolean {
  return disposableBrokerUnavailableReason() === null;
}

// ---------------------------------------------------------------------------------------------
// CLI

/** A copy of process.env without anything that could redirect RabbitMQ to another node's files. */
function cleanEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (!STRIPPED_ENV.test(key)) {
      env[key] = value;
    }
  }
  env.PATH = [process.env.PATH ?? '', '/usr/local/bin', '/usr/bin', '/bin'].filter(Boolean).join(delimiter);
  env.LANG = env.LANG || 'C.UTF-8';
  return env;
}

function targetNode(args: string[]): string | undefined {
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if ((arg === '-n' || arg === '--node') && i + 1 < args.length) {
      return args[i + 1];
    }
    if (arg.startsWith('--node=')) {
      return arg.slice('--node='.length);
    }
  }
  return undefined;
}

/**
 * Runs the real rabbitmqctl (or rabbitmq-queues / rabbitmq-diagnostics) with a deadline.
 * `args` must name the target with `-n <node>` and the node must be a `warren-*` node: the CLI's
 * default target would be the shared rabbit@localhost, which this helper never talks to.
 * Throws (with the command, exit code and output) on a non-zero exit unless `allowFailure`.
 */
export async function rabbitmqctl(args: string[], opts: RabbitmqctlOptions = {}): Promise<CtlResult> {
  const node = targetNode(args);
  if (!node) {
    throw new Error(`rabbitmqctl(${JSON.stringify(args)}): pass -n <node>; the default node is the shared broker`);
  }
  if (!/^warren-[^@]*@/.test(node)) {
    throw new Error(`rabbitmqctl: refusing to target ${node}; this helper only talks to disposable warren-* nodes`);
  }
  const tools = locateTools();
  if (!tools) {
    throw new Error(`rabbitmqctl: ${disposableBrokerUnavailableReason()}`);
  }
  const tool = join(tools.binDir, opts.tool ?? 'rabbitmqctl');
  const timeoutMs = opts.timeoutMs ?? DEFAULT_CTL_TIMEOUT_MS;
  const env = { ...cleanEnv(), ...opts.env };
  return await new Promise<CtlResult>((resolve, reject) => {
    execFile(
      tool,
      args,
      { env, timeout: timeoutMs, killSignal: 'SIGKILL', maxBuffer: 64 * 1024 * 1024, encoding: 'utf8' },
      (error, stdout, stderr) => {
        const failure = error as { killed?: boolean; code?: unknown; message: string } | null;
        if (failure && failure.killed) {
          reject(new Error(`${opts.tool ?? 'rabbitmqctl'} ${args.join(' ')} did not finish within ${timeoutMs} ms (killed)`));
          return;
        }
        if (failure && typeof failure.code !== 'number') {
          reject(new Error(`could not run ${tool}: ${failure.message}`));
          return;
        }
        const code = failure ? Number(failure.code) : 0;
        if (code !== 0 && !opts.allowFailure) {
          reject(
            new Error(`${opts.tool ?? 'rabbitmqctl'} ${args.join(' ')} exited with code ${code}: ` + `${tail(`${stderr}\n${stdout}`.trim(), 1500)}`),
          );
          return;
        }
        resolve({ code, stdout, stderr });
      },
    );
  });
}

// ---------------------------------------------------------------------------------------------
// small utilities

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** An error that ends a poll at once (e.g. the server process died while we waited for it). */
class Fatal extends Error {}

/**
 * Polls `probe` until it returns true or the deadline passes, then throws
 * "timed out after N ms waiting for <what>" with the last probe error.
 */
async function pollUntil(what: string, deadline: number, probe: () => Promise<boolean> | boolean, intervalMs = 200): Promise<void> {
  const started = Date.now();
  let lastError: unknown;
  for (;;) {
    try {
      if (await probe()) {
        return;
      }
    } catch (error) {
      if (error instanceof Fatal) {
        throw new Error(error.message);
      }
      lastError = error;
    }
    if (Date.now() >= deadline) {
      const detail = lastError ? `; last error: ${lastError instanceof Error ? lastError.message : String(lastError)}` : '';
      throw new Error(`timed out after ${Date.now() - started} ms waiting for ${what}${detail}`);
    }
    await sleep(Math.min(intervalMs, Math.max(0, deadline - Date.now())));
  }
}

function tail(text: string, max: number): string {
  return text.length <= max ? text : `…${text.slice(text.length - max)}`;
}

/** Does something accept TCP on 127.0.0.1:port? (false on refusal or after 1 s) */
export function isPortOpen(port: number, host = '127.0.0.1', timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    const done = (open: boolean) => {
      socket.removeAllListeners();
      socket.destroy();
      resolve(open);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

/** Can we bind 127.0.0.1:port right now? */
function canBind(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen({ host: '127.0.0.1', port, exclusive: true }, () => server.close(() => resolve(true)));
  });
}

/** Two distinct free ports below the kernel's ephemeral range, never a reserved one. */
async function pickPorts(): Promise<{ amqpPort: number; distPort: number }> {
  const picked: number[] = [];
  for (let attempt = 0; attempt < 500 && picked.length < 2; attempt++) {
    const port = PORT_RANGE.min + Math.floor(Math.random() * (PORT_RANGE.max - PORT_RANGE.min + 1));
    if (RESERVED_PORTS.has(port) || picked.includes(port)) {
      continue;
    }
    if (await canBind(port)) {
      picked.push(port);
    }
  }
  if (picked.length < 2) {
    throw new Error(`could not find two free ports in ${PORT_RANGE.min}-${PORT_RANGE.max} on 127.0.0.1`);
  }
  return { amqpPort: picked[0], distPort: picked[1] };
}

/** Is the process alive (a zombie counts as dead)? */
function isAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    return state !== 'Z' && state !== 'X';
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      return false;
    }
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  }
}

/** The process's state letter from /proc (R, S, T = stopped, Z, ...), or undefined when unreadable. */
function processState(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
  } catch {
    return undefined;
  }
}

/** The process's command line, or undefined (gone, or no /proc on this OS). */
function commandLine(pid: number): string[] | undefined {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
  } catch {
    return undefined;
  }
}

/** Is `pid` a process of the node `nodeName` (its argv has `-warren_node <nodeName>`)? */
function isProcessOfNode(pid: number, nodeName: string): boolean {
  const argv = commandLine(pid);
  if (!argv) {
    return !existsSync('/proc/self') && isAlive(pid); // no /proc: cannot check, trust the pid file
  }
  const i = argv.indexOf('-warren_node');
  return i >= 0 && argv[i + 1] === nodeName;
}

/**
 * Every live process whose argv carries `-warren_node <nodeName>` (the rabbitmq-server script and
 * the VM), found through /proc. Used to clean up a node whose pid file was never written.
 */
function pidsOfNode(nodeName: string): number[] {
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return [];
  }
  return entries
    .filter((entry) => /^\d+$/.test(entry))
    .map(Number)
    .filter((pid) => pid !== process.pid && isAlive(pid) && isProcessOfNode(pid, nodeName));
}

/** rabbitmqctl's JSON renders AMQP tables as [key, type, value] triples; make them an object. */
function decodeTable(triples: unknown): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (!Array.isArray(triples)) {
    return out;
  }
  for (const entry of triples) {
    if (Array.isArray(entry) && entry.length >= 3 && typeof entry[0] === 'string') {
      out[entry[0]] = decodeValue(entry[1], entry[2]);
    }
  }
  return out;
}

function decodeValue(type: unknown, value: unknown): unknown {
  if (type === 'table') {
    return decodeTable(value);
  }
  if (type === 'array' && Array.isArray(value)) {
    return value.map((item) => (Array.isArray(item) && item.length === 2 ? decodeValue(item[0], item[1]) : item));
  }
  return value;
}

function parseJsonRows<T>(stdout: string, what: string): T[] {
  const text = stdout.trim();
  const start = text.indexOf('[');
  if (start < 0) {
    throw new Error(`${what}: no JSON in rabbitmqctl output: ${tail(text, 500)}`);
  }
  return JSON.parse(text.slice(start)) as T[];
}

// ---------------------------------------------------------------------------------------------
// Safety net: brokers not remove()d when the test process exits normally are killed (SIGKILL)
// and their data dirs deleted. (A SIGKILLed test process cannot clean up: look for leftovers
// with `pgrep -fa -- '-warren_node warren-test-'`.)

const live = new Set<DisposableBroker>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) {
    return;
  }
  exitHookInstalled = true;
  try {
    process.once('exit', () => {
      for (const broker of live) {
        broker.killSyncOnExit();
      }
    });
  } catch {
    // some sandboxes do not allow it; remove() is still the normal path
  }
}

// ---------------------------------------------------------------------------------------------

export class DisposableBroker {
  /** `amqp://guest:guest@127.0.0.1:<port>` */
  readonly url: string;
  private server: ChildProcess | undefined;
  private serverExit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  private spawnError: Error | undefined;
  private beamPid: number | undefined;
  private removal: Promise<void> | undefined;
  /** The VM's pid while `freeze()` holds it stopped (SIGSTOP). */
  private frozenPid: number | undefined;

  private constructor(
    readonly nodeName: string,
    readonly port: number,
    readonly distPort: number,
    readonly dataDir: string,
    private readonly binDir: string,
  ) {
    this.url = `amqp://guest:guest@127.0.0.1:${port}`;
  }

  /**
   * Creates a fresh data dir, picks free ports, boots a node and waits (deadline `startTimeoutMs`)
   * until `rabbitmqctl await_startup` succeeds and the AMQP port accepts connections.
   */
  static async start(options: StartOptions = {}): Promise<DisposableBroker> {
    const reason = disposableBrokerUnavailableReason();
    if (reason) {
      throw new Error(`cannot start a disposable RabbitMQ node: ${reason}`);
    }
    const binDir = locateTools()!.binDir;
    const timeoutMs = options.startTimeoutMs ?? DEFAULT_START_TIMEOUT_MS;
    const deadline = Date.now() + timeoutMs;
    const label = (options.name ?? '')
      .toLowerCase()
      .replace(/[^a-z0-9-]+/g, '-')
      .replace(/^-+|-+$/g, '')
      .slice(0, 40);
    const random = randomBytes(4).toString('hex');
    const short = label ? `warren-test-${label}-${random}` : `warren-test-${random}`;
    const nodeName = `${short}@localhost`;
    const dataDir = await mkdtemp(join(tmpdir(), `${short}-`));
    installExitHook();

    let lastError: unknown;
    // A port can be taken between our check and the node's bind: retry with new ports.
    for (let attempt = 1; attempt <= 3; attempt++) {
      const { amqpPort, distPort } = await pickPorts();
      const broker = new DisposableBroker(nodeName, amqpPort, distPort, dataDir, binDir);
      live.add(broker);
      try {
        await broker.writeFiles();
        if (options.config) {
          await mkdir(join(dataDir, 'conf.d'), { recursive: true });
          await writeFile(join(dataDir, 'conf.d', '90-test.conf'), `${options.config}\n`);
        }
        await broker.boot(deadline, timeoutMs);
        return broker;
      } catch (error) {
        lastError = error;
        await broker.forceDown().catch(() => undefined);
        live.delete(broker);
        const portClash = error instanceof Error && /eaddrinuse|already in use|in use by another/i.test(error.message);
        if (!portClash || Date.now() >= deadline) {
          break;
        }
      }
    }
    await rm(dataDir, { recursive: true, force: true }).catch(() => undefined);
    throw lastError;
  }

  /** The environment this node's server and CLI run with. */
  get env(): NodeJS.ProcessEnv {
    const d = this.dataDir;
    return {
      ...cleanEnv(),
      HOME: join(d, 'home'), // the node's own Erlang cookie lives here
      RABBITMQ_NODENAME: this.nodeName,
      RABBITMQ_NODE_IP_ADDRESS: '127.0.0.1',
      RABBITMQ_NODE_PORT: String(this.port),
      RABBITMQ_DIST_PORT: String(this.distPort),
      RABBITMQ_CONF_ENV_FILE: join(d, 'rabbitmq-env.conf'),
      RABBITMQ_CONFIG_FILE: join(d, 'rabbitmq.conf'),
      RABBITMQ_CONFIG_FILES: join(d, 'conf.d', '*.conf'),
      RABBITMQ_ADVANCED_CONFIG_FILE: join(d, 'advanced.config'),
      RABBITMQ_ENABLED_PLUGINS_FILE: join(d, 'enabled_plugins'),
      RABBITMQ_MNESIA_BASE: join(d, 'mnesia'),
      RABBITMQ_LOG_BASE: join(d, 'log'),
      RABBITMQ_PID_FILE: join(d, 'rabbitmq.pid'),
      // CLI tools listen on an ephemeral port, not the 35672-35682 range the shared node's CLIs use.
      RABBITMQ_CTL_DIST_PORT_MIN: '0',
      RABBITMQ_CTL_DIST_PORT_MAX: '0',
      ERL_EPMD_ADDRESS: '127.0.0.1',
      ERL_FLAGS: '-kernel inet_dist_use_interface {127,0,0,1}',
    };
  }

  /** OS pid of the node's Erlang VM while it runs (undefined when down). */
  get pid(): number | undefined {
    return this.beamPid !== undefined && isAlive(this.beamPid) ? this.beamPid : undefined;
  }

  /** Runs a CLI command against this node (`-n <node>` is added). */
  async ctl(args: string[], opts: Omit<RabbitmqctlOptions, 'env'> = {}): Promise<CtlResult> {
    return await rabbitmqctl(['-n', this.nodeName, ...args], { ...opts, env: this.env });
  }

  /** Is any process of this node alive (its VM, or the rabbitmq-server script that starts it)? */
  isRunning(): boolean {
    return this.allPidsOfNode().length > 0;
  }

  /** Stops the whole node gracefully (`rabbitmqctl stop`), then waits until its VM exits and the port closes. */
  async stop(timeoutMs = DEFAULT_STOP_TIMEOUT_MS): Promise<void> {
    this.assertNotRemoved('stop');
    if (!this.isRunning()) {
      return;
    }
    await this.thaw(); // a stopped VM would never answer rabbitmqctl stop
    const deadline = Date.now() + timeoutMs;
    const pid = this.beamPid ?? (await this.findBeamPid());
    await this.ctl(['stop'], { timeoutMs: Math.max(1000, deadline - Date.now()) });
    await this.waitDown(deadline, `${this.nodeName} (pid ${pid ?? '?'}) to exit after rabbitmqctl stop`);
  }

  /** Boots the same node again: same name, data dir and ports, so durable queues and persistent messages are back. */
  async startAgain(timeoutMs = DEFAULT_START_TIMEOUT_MS): Promise<void> {
    this.assertNotRemoved('startAgain');
    if (this.isRunning()) {
      throw new Error(`startAgain(): ${this.nodeName} is still running (pid ${this.pid ?? this.server?.pid}); stop() or kill() it first`);
    }
    for (const port of [this.port, this.distPort]) {
      if (!(await canBind(port))) {
        throw new Error(`startAgain(): port ${port} of ${this.nodeName} is now taken by another process`);
      }
    }
    try {
      await this.boot(Date.now() + timeoutMs, timeoutMs);
    } catch (error) {
      await this.forceDown().catch(() => undefined); // never leave a half-booted node behind
      throw error;
    }
  }

  /**
   * SIGKILLs the node's Erlang VM (pid from the pid file, else `os:getpid()`, checked against the
   * process's command line), then waits until it is gone and the AMQP port is closed.
   * A no-op when the node is already down.
   */
  async kill(timeoutMs = DEFAULT_KILL_TIMEOUT_MS): Promise<void> {
    this.assertNotRemoved('kill');
    const deadline = Date.now() + timeoutMs;
    const pid = this.beamPid !== undefined && isAlive(this.beamPid) ? this.beamPid : await this.findBeamPid();
    if (pid === undefined) {
      await this.forceDown(Math.max(1000, deadline - Date.now()));
      await this.waitDown(deadline, `${this.nodeName} to be down`);
      return;
    }
    if (!isProcessOfNode(pid, this.nodeName)) {
      throw new Error(`kill(): pid ${pid} is not the VM of ${this.nodeName} (command line does not match); not killing it`);
    }
    process.kill(pid, 'SIGKILL'); // also ends a frozen (SIGSTOPped) VM
    this.frozenPid = undefined;
    await this.waitDown(deadline, `${this.nodeName} (pid ${pid}) to die after SIGKILL`);
  }

  /**
   * Freezes the node: SIGSTOP to its Erlang VM (checked against its command line), like a hung
   * broker or a VM paused by its hypervisor. The kernel keeps accepting TCP for it, so clients
   * see no error: nothing answers (no confirms, no heartbeats) until `thaw()`. `remove()`,
   * `stop()` and `kill()` thaw first.
   */
  async freeze(): Promise<void> {
    this.assertNotRemoved('freeze');
    if (this.frozenPid !== undefined) {
      return;
    }
    const pid = this.beamPid !== undefined && isAlive(this.beamPid) ? this.beamPid : await this.findBeamPid();
    if (pid === undefined) {
      throw new Error(`freeze(): ${this.nodeName} is not running`);
    }
    if (!isProcessOfNode(pid, this.nodeName)) {
      throw new Error(`freeze(): pid ${pid} is not the VM of ${this.nodeName} (command line does not match); not stopping it`);
    }
    process.kill(pid, 'SIGSTOP');
    this.frozenPid = pid;
    await pollUntil(
      `${this.nodeName} (pid ${pid}) to be stopped after SIGSTOP`,
      Date.now() + 5_000,
      () => [undefined, 'T'].includes(processState(pid)),
      20,
    );
  }

  /** Resumes a node frozen by `freeze()` (SIGCONT); a no-op when it is not frozen. */
  async thaw(): Promise<void> {
    const pid = this.frozenPid;
    if (pid === undefined) {
      return;
    }
    this.frozenPid = undefined;
    try {
      process.kill(pid, 'SIGCONT');
    } catch {
      return; // the VM is gone (killed meanwhile): nothing to resume
    }
    await pollUntil(`${this.nodeName} (pid ${pid}) to run again after SIGCONT`, Date.now() + 5_000, () => processState(pid) !== 'T', 20);
  }

  /** Is the node held stopped by `freeze()`? */
  get isFrozen(): boolean {
    return this.frozenPid !== undefined;
  }

  /** Raises the memory alarm (watermark 0.0000001) so the node blocks every publishing connection. */
  async blockPublishers(timeoutMs = DEFAULT_CTL_TIMEOUT_MS): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    await this.ctl(['set_vm_memory_high_watermark', BLOCKING_MEMORY_WATERMARK], { timeoutMs });
    await pollUntil(`the memory alarm to be raised on ${this.nodeName}`, deadline, () => this.hasMemoryAlarm(), 250);
  }

  /** Restores the watermark to 0.4 and waits until the memory alarm is cleared. */
  async unblock(timeoutMs = DEFAULT_CTL_TIMEOUT_MS): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    await this.ctl(['set_vm_memory_high_watermark', NORMAL_MEMORY_WATERMARK], { timeoutMs });
    await pollUntil(`the memory alarm to clear on ${this.nodeName}`, deadline, async () => !(await this.hasMemoryAlarm()), 250);
  }

  /** Is a memory alarm in force on this node (`rabbit_alarm:get_alarms()`)? */
  async hasMemoryAlarm(): Promise<boolean> {
    const { stdout } = await this.ctl(['eval', 'rabbit_alarm:get_alarms().']);
    return /resource_limit\s*,\s*memory/.test(stdout);
  }

  /** Closes every client connection (clients see a connection.close with `reason`), and waits until none is left. */
  async closeAllConnections(reason = 'closed by a test', timeoutMs = DEFAULT_CTL_TIMEOUT_MS): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    await this.ctl(['close_all_connections', '--global', reason], { timeoutMs });
    await pollUntil(`all connections on ${this.nodeName} to close`, deadline, async () => (await this.listConnections()).length === 0, 250);
  }

  /** Client connections the node holds (`rabbitmqctl list_connections`). */
  async listConnections(): Promise<ConnectionInfo[]> {
    const { stdout } = await this.ctl(['-q', 'list_connections', 'name', 'user', 'state', 'client_properties', '--formatter', 'json']);
    return parseJsonRows<{ name: string; user: string; state: string; client_properties: unknown }>(stdout, 'list_connections').map((row) => {
      const clientProperties = decodeTable(row.client_properties);
      const connectionName = typeof clientProperties.connection_name === 'string' ? clientProperties.connection_name : undefined;
      return { name: row.name, user: row.user, state: String(row.state), clientProperties, connectionName };
    });
  }

  /** Message counts of a queue (`rabbitmqctl list_queues`); throws when the queue does not exist. */
  async queueDepth(queue: string, vhost = '/'): Promise<QueueDepth> {
    const { stdout } = await this.ctl([
      '-q',
      'list_queues',
      '-p',
      vhost,
      'name',
      'messages',
      'messages_ready',
      'messages_unacknowledged',
      '--formatter',
      'json',
    ]);
    const rows = parseJsonRows<{ name: string; messages: number; messages_ready: number; messages_unacknowledged: number }>(stdout, 'list_queues');
    const row = rows.find((r) => r.name === queue);
    if (!row) {
      throw new Error(`queue ${queue} does not exist on ${this.nodeName} (vhost ${vhost})`);
    }
    return { messages: Number(row.messages) || 0, ready: Number(row.messages_ready) || 0, unacked: Number(row.messages_unacknowledged) || 0 };
  }

  /**
   * Stops the node (SIGKILL if a graceful stop does not finish within half the deadline) and
   * deletes its data dir. Safe to call twice (the second call waits for the first).
   */
  remove(timeoutMs = DEFAULT_STOP_TIMEOUT_MS): Promise<void> {
    this.removal ??= this.doRemove(timeoutMs);
    return this.removal;
  }

  private async doRemove(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    const stopDeadline = Date.now() + timeoutMs / 2; // graceful stop gets half, SIGKILL the rest
    let stopError: unknown;
    // A frozen VM would never answer rabbitmqctl stop: resume it first.
    await this.thaw().catch((error: unknown) => (stopError = error));
    if (this.isRunning()) {
      try {
        const pid = this.beamPid ?? (await this.findBeamPid());
        await this.ctl(['stop'], { timeoutMs: Math.max(1000, stopDeadline - Date.now()) });
        await this.waitDown(stopDeadline, `${this.nodeName} (pid ${pid ?? '?'}) to exit after rabbitmqctl stop`);
      } catch (error) {
        stopError = error;
      }
    }
    if (this.isRunning()) {
      try {
        await this.forceDown(Math.max(5000, deadline - Date.now()));
      } catch (error) {
        throw new Error(
          `remove(): ${this.nodeName} would not stop (${stopError instanceof Error ? stopError.message : stopError}) ` +
            `nor die (${error instanceof Error ? error.message : error}); data dir ${this.dataDir} left in place`,
        );
      }
    }
    live.delete(this);
    await rm(this.dataDir, { recursive: true, force: true });
    if (existsSync(this.dataDir)) {
      throw new Error(`remove(): could not delete ${this.dataDir}`);
    }
  }

  /** @internal used by the process 'exit' safety net: synchronous best-effort kill + delete. */
  killSyncOnExit(): void {
    try {
      for (const pid of this.allPidsOfNode()) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // already gone
        }
      }
      rmSync(this.dataDir, { recursive: true, force: true });
    } catch {
      // best effort while the process exits
    }
  }

  // -------------------------------------------------------------------------------------------

  private assertNotRemoved(what: string): void {
    if (this.removal) {
      throw new Error(`${what}(): ${this.nodeName} was removed`);
    }
  }

  /** Config, env file, plugin list and cookie, all in the data dir. */
  private async writeFiles(): Promise<void> {
    const d = this.dataDir;
    await mkdir(join(d, 'home'), { recursive: true });
    await mkdir(join(d, 'mnesia'), { recursive: true });
    await mkdir(join(d, 'log'), { recursive: true });
    const cookie = join(d, 'home', '.erlang.cookie');
    if (!existsSync(cookie)) {
      const letters = Array.from(randomBytes(32), (b) => String.fromCharCode(65 + (b % 26))).join('');
      await writeFile(cookie, letters, { mode: 0o400 });
      await chmod(cookie, 0o400);
    }
    await writeFile(
      join(d, 'rabbitmq-env.conf'),
      '# Disposable node: settings come from the environment; /etc/rabbitmq/rabbitmq-env.conf is not read.\n',
    );
    await writeFile(join(d, 'enabled_plugins'), '[].\n');
    await writeFile(
      join(d, 'rabbitmq.conf'),
      [
        `# Disposable node ${this.nodeName} (test/support/disposable-broker.ts)`,
        `listeners.tcp.default = 127.0.0.1:${this.port}`,
        'loopback_users.guest = true',
        `vm_memory_high_watermark.relative = ${NORMAL_MEMORY_WATERMARK}`,
        'log.file.level = info',
        '',
      ].join('\n'),
    );
  }

  /** Spawns rabbitmq-server and waits for await_startup + the AMQP port, failing fast if the server exits. */
  private async boot(deadline: number, timeoutMs: number): Promise<void> {
    const started = Date.now();
    this.beamPid = undefined;
    this.serverExit = undefined;
    this.spawnError = undefined;
    await unlink(join(this.dataDir, 'rabbitmq.pid')).catch(() => undefined); // stale after a kill()
    const outPath = join(this.dataDir, 'server.out');
    const out = openSync(outPath, 'a');
    let child: ChildProcess;
    try {
      child = spawn(join(this.binDir, 'rabbitmq-server'), ['-warren_node', this.nodeName], {
        env: this.env,
        cwd: this.dataDir,
        stdio: ['ignore', out, out],
      });
    } finally {
      closeSync(out);
    }
    this.server = child;
    child.once('exit', (code, signal) => {
      if (this.server === child) {
        this.serverExit = { code, signal };
      }
    });
    child.once('error', (error) => {
      if (this.server === child) {
        this.serverExit = { code: null, signal: null };
        this.spawnError = error;
      }
    });
    child.unref(); // a forgotten node must not keep jest alive (the exit hook kills it)

    const diedEarly = () => {
      if (this.serverExit) {
        const how = this.spawnError
          ? `could not be spawned (${this.spawnError.message})`
          : `exited (code ${this.serverExit.code}, signal ${this.serverExit.signal})`;
        throw new Fatal(`rabbitmq-server for ${this.nodeName} ${how} before it finished booting${this.logTails()}`);
      }
    };
    try {
      await pollUntil(
        `${this.nodeName} to finish booting (rabbitmqctl await_startup)`,
        deadline,
        async () => {
          diedEarly();
          const left = Math.max(1, Math.ceil((deadline - Date.now()) / 1000));
          const result = await this.ctl(['await_startup', '--timeout', String(left)], {
            allowFailure: true,
            timeoutMs: Math.max(1000, deadline - Date.now()) + 1000,
          });
          diedEarly();
          if (result.code !== 0) {
            throw new Error(tail(`${result.stderr}\n${result.stdout}`.trim().split('\n').slice(0, 3).join(' '), 300));
          }
          return true;
        },
        300,
      );
      await pollUntil(`AMQP port 127.0.0.1:${this.port} of ${this.nodeName} to accept connections`, deadline, () => {
        diedEarly();
        return isPortOpen(this.port);
      });
      this.beamPid = await this.findBeamPid();
      if (this.beamPid === undefined) {
        throw new Error(`${this.nodeName} booted but its OS pid could not be found (pid file and os:getpid() both failed)`);
      }
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      throw new Error(
        `starting RabbitMQ node ${this.nodeName} (AMQP ${this.port}, dist ${this.distPort}, dir ${this.dataDir}) ` +
          `failed after ${Date.now() - started} ms (deadline ${timeoutMs} ms): ${message}` +
          (message.includes('--- ') ? '' : this.logTails()),
      );
    }
  }

  private readPidFileSync(): number | undefined {
    try {
      const pid = Number.parseInt(readFileSync(join(this.dataDir, 'rabbitmq.pid'), 'utf8').trim(), 10);
      return Number.isInteger(pid) && pid > 0 ? pid : undefined;
    } catch {
      return undefined;
    }
  }

  /** The VM's OS pid: the pid file if it names a live process of this node, else `os:getpid()` over the CLI. */
  private async findBeamPid(): Promise<number | undefined> {
    const fromFile = this.readPidFileSync();
    if (fromFile !== undefined && isAlive(fromFile) && isProcessOfNode(fromFile, this.nodeName)) {
      return fromFile;
    }
    const result = await this.ctl(['eval', 'os:getpid().'], { allowFailure: true, timeoutMs: 15_000 }).catch(() => undefined);
    const match = result && result.code === 0 ? /"(\d+)"/.exec(result.stdout) : null;
    const pid = match ? Number(match[1]) : undefined;
    return pid !== undefined && isAlive(pid) && isProcessOfNode(pid, this.nodeName) ? pid : undefined;
  }

  /** Waits until the VM and the rabbitmq-server script are gone and the AMQP port refuses connections. */
  private async waitDown(deadline: number, what: string): Promise<void> {
    const pid = this.beamPid;
    await pollUntil(what, deadline, () => (pid === undefined || !isAlive(pid)) && !this.isRunning(), 100);
    await pollUntil(
      `AMQP port 127.0.0.1:${this.port} to close after ${this.nodeName} went down`,
      deadline,
      async () => !(await isPortOpen(this.port)),
      100,
    );
  }

  /** SIGKILL whatever of this node is still running (VM found by pid file or command line check). */
  private async forceDown(timeoutMs = DEFAULT_KILL_TIMEOUT_MS): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    const pids = this.allPidsOfNode();
    for (const pid of pids) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    await pollUntil(
      `${this.nodeName} (pids ${pids.join(', ') || 'none'}) to die after SIGKILL`,
      deadline,
      () => this.allPidsOfNode().length === 0 && !this.isRunning(),
      100,
    );
  }

  /** The VM (pid file or /proc scan) and the rabbitmq-server script of this node, if alive. */
  private allPidsOfNode(): number[] {
    const pids = new Set(pidsOfNode(this.nodeName));
    for (const pid of [this.beamPid, this.readPidFileSync(), this.server?.pid]) {
      if (pid !== undefined && isAlive(pid) && (pid === this.server?.pid || isProcessOfNode(pid, this.nodeName))) {
        pids.add(pid);
      }
    }
    return [...pids];
  }

  private logTails(): string {
    const parts: string[] = [];
    for (const file of [join(this.dataDir, 'server.out'), join(this.dataDir, 'log', `${this.nodeName}.log`)]) {
      try {
        const text = readFileSync(file, 'utf8').trim();
        if (text) {
          parts.push(`\n--- ${file} (tail) ---\n${tail(text, 2000)}`);
        }
      } catch {
        // not written yet
      }
    }
    return parts.join('');
  }
}
