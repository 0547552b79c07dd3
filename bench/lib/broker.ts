import { execFile } from 'node:child_process';
import { once } from 'node:events';
import { readFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import amqp, { type ChannelModel, type ConfirmChannel, type Options } from 'amqplib';
import { processCpuSeconds } from './child.js';
import { AMQP_URL, log, pollUntil, withDeadline } from './util.js';

const run = promisify(execFile);

export interface QueueDepth {
  ready: number;
  unacked: number;
  consumers: number;
  /** where the numbers came from: rabbitmqctl (ready + unacked) or a passive declare (ready only) */
  source: 'rabbitmqctl' | 'passive-declare';
}

export interface FillSpec {
  /** '' = default exchange (routing key = queue name) */
  exchange: string;
  routingKey: string;
  count: number;
  /** one body for all, or one per message (i = 0 … count−1) */
  body: Buffer | ((i: number) => Buffer);
  properties?: Options.Publish;
  /** unconfirmed publishes allowed at once */
  window?: number;
}

/**
 * The benchmark's own view of the broker: one connection (named, so operators see it), used to
 * fill queues, read depths and delete what the run created. Every name it is told about is
 * deleted by `cleanup()`, which also sweeps the broker for anything left under the run prefix.
 */
export class BenchBroker {
  private readonly queues = new Set<string>();
  private readonly exchanges = new Set<string>();
  private rabbitmqctlWorks: boolean | undefined;
  /** the broker's OS process when it runs on this machine (null: remote, in a container, unknown) */
  private localPid: Promise<number | null> | undefined;

  private constructor(
    private readonly connection: ChannelModel,
    /** every queue/exchange of this run starts with it */
    readonly prefix: string,
  ) {}

  static async open(prefix: string, url = AMQP_URL): Promise<BenchBroker> {
    const connection = await withDeadline(
      amqp.connect(url, { clientProperties: { connection_name: `${prefix}-harness` } }),
      15_000,
      'connecting to the broker',
    );
    connection.on('error', (error: Error) => log(`harness connection error: ${error.message}`));
    return new BenchBroker(connection, prefix);
  }

  /** RabbitMQ version as the broker announces it in connection.start. */
  get serverVersion(): string {
    const props = (this.connection as unknown as { connection: { serverProperties?: Record<string, unknown> } }).connection.serverProperties;
    return String(props?.version ?? 'unknown');
  }

  /** Remember names for cleanup (queues created by subjects included). */
  track(names: { queues?: string[]; exchanges?: string[] }): void {
    for (const queue of names.queues ?? []) {
      this.queues.add(queue);
    }
    for (const exchange of names.exchanges ?? []) {
      this.exchanges.add(exchange);
    }
  }

  /** A fresh channel per operation: a failed operation closes its channel, never ours. */
  private async withChannel<T>(work: (channel: amqp.Channel) => Promise<T>): Promise<T> {
    const channel = await this.connection.createChannel();
    channel.on('error', () => undefined);
    try {
      return await withDeadline(work(channel), 120_000, 'broker operation');
    } finally {
      await withDeadline(channel.close(), 10_000, 'closing a channel').catch(() => undefined);
    }
  }

  /** Runs declarations on a channel of the harness connection (names must be tracked by the caller). */
  async withTopology(work: (channel: amqp.Channel) => Promise<void>): Promise<void> {
    await this.withChannel(work);
  }

  async declareClassicQueue(queue: string, options: Options.AssertQueue = {}): Promise<void> {
    this.track({ queues: [queue] });
    await this.withChannel((channel) => channel.assertQueue(queue, { durable: true, ...options }).then(() => undefined));
  }

  async declareTopicExchange(exchange: string): Promise<void> {
    this.track({ exchanges: [exchange] });
    await this.withChannel((channel) => channel.assertExchange(exchange, 'topic', { durable: true }).then(() => undefined));
  }

  async bindQueue(queue: string, exchange: string, pattern: string): Promise<void> {
    await this.withChannel((channel) => channel.bindQueue(queue, exchange, pattern).then(() => undefined));
  }

  /** True if the exchange exists (passive declare). */
  async exchangeExists(exchange: string): Promise<boolean> {
    try {
      await this.withChannel((channel) => channel.checkExchange(exchange));
      return true;
    } catch {
      return false;
    }
  }

  /** Ready count and consumers from a passive declare (fast, no unacked count). */
  async check(queue: string): Promise<{ ready: number; consumers: number }> {
    const reply = await this.withChannel((channel) => channel.checkQueue(queue));
    return { ready: reply.messageCount, consumers: reply.consumerCount };
  }

  /**
   * Ready + unacked from rabbitmqctl where it is installed, else ready from a passive declare
   * (equal once no consumer holds messages).
   */
  async depth(queue: string): Promise<QueueDepth> {
    const all = await this.listQueues();
    if (all) {
      const row = all.find((r) => r.name === queue);
      if (!row) {
        throw new Error(`queue ${queue} does not exist`);
      }
      return { ready: row.messages_ready, unacked: row.messages_unacknowledged, consumers: row.consumers, source: 'rabbitmqctl' };
    }
    const { ready, consumers } = await this.check(queue);
    return { ready, unacked: 0, consumers, source: 'passive-declare' };
  }

  /**
   * One rabbitmqctl listing of a queue and its side queues (`<queue>.dlq`, `<queue>.retry.<ms>`,
   * whatever warren adds under `<queue>.`), or undefined without rabbitmqctl.
   */
  async family(queue: string): Promise<Map<string, QueueDepth> | undefined> {
    const rows = await this.listQueues();
    if (!rows) {
      return undefined;
    }
    const family = new Map<string, QueueDepth>();
    for (const row of rows) {
      if (row.name === queue || row.name.startsWith(`${queue}.`)) {
        family.set(row.name, {
          ready: row.messages_ready,
          unacked: row.messages_unacknowledged,
          consumers: row.consumers,
          source: 'rabbitmqctl',
        });
      }
    }
    return family;
  }

  /**
   * Waits until nobody consumes the queue any more and its count is stable (the broker has
   * requeued what the dead consumer held), then returns the depth.
   */
  async settledDepth(queue: string, timeoutMs = 30_000): Promise<QueueDepth> {
    let previous = -1;
    await pollUntil(
      async () => {
        const { ready, consumers } = await this.check(queue);
        const stable = consumers === 0 && ready === previous;
        previous = ready;
        return stable ? true : undefined;
      },
      { timeoutMs, intervalMs: 400, what: `queue ${queue} to settle with no consumer` },
    );
    return this.depth(queue);
  }

  /**
   * Publishes `count` copies of `body` as persistent messages on a confirm channel, keeping at
   * most `window` unconfirmed, and waits for every confirm. Returns msg/s.
   */
  async fill(spec: FillSpec, timeoutMs?: number): Promise<{ published: number; seconds: number; rate: number }> {
    if (spec.count <= 0) {
      return { published: 0, seconds: 0, rate: 0 };
    }
    // Bounded even when the broker blocks publishers (memory alarm): 2 min + 1 s per 2 MB.
    const bodyBytes = typeof spec.body === 'function' ? spec.body(0).length : spec.body.length;
    timeoutMs ??= 120_000 + Math.ceil((spec.count * bodyBytes) / 2_000);
    const channel: ConfirmChannel = await this.connection.createConfirmChannel();
    const state = watchFill(channel);
    const timer = setTimeout(() => {
      state.failure ??= new Error(`fill of ${spec.routingKey} timed out after ${timeoutMs} ms (${state.confirmed}/${spec.count} confirmed)`);
      state.wakeUp();
    }, timeoutMs);
    const started = performance.now();
    try {
      await publishConfirmed(channel, spec, state);
    } finally {
      clearTimeout(timer);
      channel.removeAllListeners('close');
      await withDeadline(channel.close(), 10_000, 'closing a channel').catch(() => undefined);
    }
    const seconds = (performance.now() - started) / 1000;
    return { published: spec.count, seconds, rate: spec.count / seconds };
  }

  async deleteQueue(queue: string): Promise<void> {
    await this.withChannel((channel) => channel.deleteQueue(queue)).catch(() => undefined);
    this.queues.delete(queue);
  }

  async purgeQueue(queue: string): Promise<void> {
    await this.withChannel((channel) => channel.purgeQueue(queue)).catch(() => undefined);
  }

  /**
   * Deletes every tracked queue and exchange, then anything else on the broker whose name starts
   * with the run prefix (queues a subject declared that we were not told about: dead-letter,
   * retry, unrouted queues). Never throws.
   */
  async cleanup(): Promise<{ queues: string[]; exchanges: string[] }> {
    const queues = new Set(this.queues);
    const exchanges = new Set(this.exchanges);
    const listed = await this.listQueues().catch(() => undefined);
    for (const row of listed ?? []) {
      if (row.name.startsWith(this.prefix)) {
        queues.add(row.name);
      }
    }
    for (const name of (await this.listExchanges().catch(() => undefined)) ?? []) {
      if (name.startsWith(this.prefix)) {
        exchanges.add(name);
      }
    }
    for (const queue of queues) {
      await withDeadline(this.deleteQueue(queue), 60_000, `deleting queue ${queue}`).catch((e: unknown) => log(String(e)));
    }
    for (const exchange of exchanges) {
      await withDeadline(
        this.withChannel((channel) => channel.deleteExchange(exchange)).catch(() => undefined),
        15_000,
        `deleting exchange ${exchange}`,
      ).catch((e: unknown) => log(String(e)));
      this.exchanges.delete(exchange);
    }
    return { queues: [...queues], exchanges: [...exchanges] };
  }

  /** Names of this run still on the broker (for the final check), or undefined without rabbitmqctl. */
  async leftovers(): Promise<string[] | undefined> {
    const queues = await this.listQueues();
    const exchanges = await this.listExchanges();
    if (!queues || !exchanges) {
      return undefined;
    }
    return [
      ...queues.filter((q) => q.name.startsWith(this.prefix)).map((q) => `queue ${q.name} (${q.messages_ready + q.messages_unacknowledged} msgs)`),
      ...exchanges.filter((e) => e.startsWith(this.prefix)).map((e) => `exchange ${e}`),
    ];
  }

  /** Names (any run) matching a pattern, for the sweep tool; undefined without rabbitmqctl. */
  async leftoversMatching(pattern: RegExp): Promise<string[] | undefined> {
    const queues = await this.listQueues();
    const exchanges = await this.listExchanges();
    if (!queues || !exchanges) {
      return undefined;
    }
    return [
      ...queues
        .filter((q) => pattern.test(q.name))
        .map((q) => `queue ${q.name} (${q.messages_ready + q.messages_unacknowledged} msgs, ${q.consumers} consumers)`),
      ...exchanges.filter((e) => pattern.test(e)).map((e) => `exchange ${e}`),
    ];
  }

  /** Messages (ready + unacked) in every queue whose name starts with `prefix`; undefined without rabbitmqctl. */
  async depthsByPrefix(prefix: string): Promise<Record<string, number> | undefined> {
    const queues = await this.listQueues();
    if (!queues) {
      return undefined;
    }
    return Object.fromEntries(queues.filter((q) => q.name.startsWith(prefix)).map((q) => [q.name, q.messages_ready + q.messages_unacknowledged]));
  }

  /** Queues of this run that still have consumers. */
  async busyQueues(): Promise<string[]> {
    const queues = (await this.listQueues()) ?? [];
    return queues.filter((q) => q.name.startsWith(this.prefix) && q.consumers > 0).map((q) => q.name);
  }

  /**
   * CPU time (user + system) the broker's Erlang VM has used so far, in seconds, when it runs on
   * this machine; null otherwise. The pid comes from the node itself (`os:getpid()`) and counts
   * only if that /proc entry is a beam process — in a container the node sees another pid space.
   */
  async cpuSeconds(): Promise<number | null> {
    this.localPid ??= (async () => {
      const pid = Number((await this.rabbitmqctl(['eval', 'os:getpid().']))?.replace(/\D/g, ''));
      if (!Number.isInteger(pid) || pid <= 0) {
        return null;
      }
      const comm = await readFile(`/proc/${pid}/comm`, 'utf8').catch(() => '');
      return comm.startsWith('beam') ? pid : null;
    })();
    const pid = await this.localPid;
    return pid === null ? null : processCpuSeconds(pid);
  }

  /**
   * Waits until the broker's CPU use falls below `maxShare` of a core over `windowMs` (or
   * `maxMs` passed); returns how long it waited, or null when its CPU cannot be read. After a
   * fill of persistent messages the broker keeps writing its queue index and message store for a
   * few seconds: a subject started meanwhile shares the cores with that work, and its CPU per
   * message depended on how much of it overlapped (the same code measured 14 or 25 ms per 1,000).
   */
  async waitUntilQuiet({ maxMs = 20_000, windowMs = 500, maxShare = 0.15 } = {}): Promise<number | null> {
    const started = Date.now();
    let before = await this.cpuSeconds();
    if (before === null) {
      return null;
    }
    while (Date.now() - started < maxMs) {
      await new Promise((resolve) => setTimeout(resolve, windowMs));
      const now = await this.cpuSeconds();
      if (now === null) {
        return null;
      }
      if (now - before < (maxShare * windowMs) / 1000) {
        break;
      }
      before = now;
    }
    return Date.now() - started;
  }

  async close(): Promise<void> {
    await withDeadline(this.connection.close(), 10_000, 'closing the harness connection').catch(() => undefined);
  }

  private async rabbitmqctl(args: string[]): Promise<string | undefined> {
    if (this.rabbitmqctlWorks === false) {
      return undefined;
    }
    const node = process.env.BENCH_RABBITMQ_NODE;
    try {
      const { stdout } = await run('rabbitmqctl', [...(node ? ['-n', node] : []), '-q', ...args], {
        timeout: 30_000,
        maxBuffer: 64 * 1024 * 1024,
      });
      this.rabbitmqctlWorks = true;
      return stdout;
    } catch (error) {
      if (this.rabbitmqctlWorks === undefined) {
        log(`rabbitmqctl unavailable (${String(error).split('\n')[0]}): using passive declares only`);
        this.rabbitmqctlWorks = false;
      }
      return undefined;
    }
  }

  private async listQueues(): Promise<{ name: string; messages_ready: number; messages_unacknowledged: number; consumers: number }[] | undefined> {
    const out = await this.rabbitmqctl(['list_queues', 'name', 'messages_ready', 'messages_unacknowledged', 'consumers', '--formatter', 'json']);
    return out === undefined
      ? undefined
      : (JSON.parse(out) as { name: string; messages_ready: number; messages_unacknowledged: number; consumers: number }[]);
  }

  private async listExchanges(): Promise<string[] | undefined> {
    const out = await this.rabbitmqctl(['list_exchanges', 'name', '--formatter', 'json']);
    return out === undefined ? undefined : (JSON.parse(out) as { name: string }[]).map((e) => e.name);
  }
}

/** A JSON body of exactly `bytes` bytes built from `shape(pad)`, padded with 'x'. */
export function jsonBodyOfSize(bytes: number, shape: (pad: string) => unknown): Buffer {
  const empty = Buffer.byteLength(JSON.stringify(shape('')));
  const body = Buffer.from(JSON.stringify(shape('x'.repeat(Math.max(0, bytes - empty)))));
  return body;
}

/** A fill in progress: the first failure (channel error or close, nack, timeout) and the publishes awaiting confirms. */
interface FillState {
  failure?: Error;
  outstanding: number;
  confirmed: number;
  /** set while the publisher waits for a confirm (window full) or for the last ones */
  wake?: () => void;
  /** resumes the waiting publisher, if any */
  wakeUp(): void;
}

/** Records the fill channel's error or close as the fill's failure and wakes the publisher to see it. */
function watchFill(channel: ConfirmChannel): FillState {
  const state: FillState = {
    outstanding: 0,
    confirmed: 0,
    wakeUp: () => {
      const w = state.wake;
      state.wake = undefined;
      w?.();
    },
  };
  channel.on('error', (error: Error) => {
    state.failure ??= error;
    state.wakeUp();
  });
  channel.on('close', () => {
    state.failure ??= new Error('fill channel closed');
    state.wakeUp();
  });
  return state;
}

/**
 * Publishes `spec.count` persistent messages keeping at most `spec.window` (1000) unconfirmed, then waits for the
 * last confirms; throws the first failure.
 */
async function publishConfirmed(channel: ConfirmChannel, spec: FillSpec, state: FillState): Promise<void> {
  const window = spec.window ?? 1000;
  const properties: Options.Publish = { persistent: true, contentType: 'application/json', ...spec.properties };
  for (let i = 0; i < spec.count; i++) {
    while (state.outstanding >= window && !state.failure) {
      await new Promise<void>((resolve) => (state.wake = resolve));
    }
    if (state.failure) {
      throw state.failure;
    }
    state.outstanding++;
    const body = typeof spec.body === 'function' ? spec.body(i) : spec.body;
    const ok = channel.publish(spec.exchange, spec.routingKey, body, properties, (error) => {
      state.outstanding--;
      if (error) {
        state.failure ??= new Error(`publish nacked by the broker: ${String(error)}`);
      } else {
        state.confirmed++;
      }
      state.wakeUp();
    });
    if (!ok) {
      await withDeadline(once(channel, 'drain'), 60_000, 'waiting for the publish channel to drain');
    }
  }
  while (state.outstanding > 0 && !state.failure) {
    await new Promise<void>((resolve) => (state.wake = resolve));
  }
  if (state.failure) {
    throw state.failure;
  }
}
