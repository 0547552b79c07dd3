/** A disposable RabbitMQ node: start, stop, kill, freeze, block, inspect, remove (overview in ../disposable-broker.ts). */

import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, existsSync, openSync, readFileSync, rmSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, rm, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import {
  BLOCKING_MEMORY_WATERMARK,
  type ConnectionInfo,
  type CtlResult,
  DEFAULT_CTL_TIMEOUT_MS,
  DEFAULT_KILL_TIMEOUT_MS,
  DEFAULT_START_TIMEOUT_MS,
  DEFAULT_STOP_TIMEOUT_MS,
  NORMAL_MEMORY_WATERMARK,
  type QueueDepth,
  type RabbitmqctlOptions,
  type StartOptions,
} from './broker-defaults.js';
import { installExitHook, live } from './cleanup.js';
import { isAlive, isProcessOfNode, killAll, pidsOfNode, processState } from './node-process.js';
import { canBind, isPortOpen, pickPorts } from './ports.js';
import { Fatal, pollUntil, tail } from './poll.js';
import { disposableBrokerUnavailableReason, locateTools } from './rabbitmq-tools.js';
import { cleanEnv, decodeTable, parseJsonRows, rabbitmqctl } from './rabbitmqctl.js';

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
          `remove(): ${this.nodeName} would not stop (${stopError instanceof Error ? stopError.message : String(stopError)}) ` +
            `nor die (${error instanceof Error ? error.message : String(error)}); data dir ${this.dataDir} left in place`,
          { cause: error },
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
      killAll(this.allPidsOfNode());
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
        { cause: error },
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
    killAll(pids);
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
