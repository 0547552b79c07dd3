import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import amqp, { type Channel, type ChannelModel } from 'amqplib';
import { processCpuSeconds } from './child.js';
import { AMQP_URL, log, pollUntil, sleep, withDeadline } from './util.js';

const run = promisify(execFile);

interface QueueRow {
  name: string;
  messages_ready: number;
  messages_unacknowledged: number;
  consumers: number;
}

/**
 * The benchmark's own view of the broker: one named connection to fill queues, and rabbitmqctl (which must run on
 * this machine) to read depths, the broker's CPU and what is left. Every name of a run starts with `prefix`
 * (`bench-<run id>`); `cleanup()` deletes all of them, told or not.
 */
export class BenchBroker {
  private readonly exchanges = new Set<string>();
  private beamPid: Promise<number | null> | undefined;

  private constructor(
    private readonly connection: ChannelModel,
    readonly prefix: string,
  ) {}

  static async open(prefix: string): Promise<BenchBroker> {
    const connection = await withDeadline(
      amqp.connect(AMQP_URL, { clientProperties: { connection_name: `${prefix}-harness` } }),
      15_000,
      'connecting to the broker',
    );
    connection.on('error', (error: Error) => log(`harness connection error: ${error.message}`));
    return new BenchBroker(connection, prefix);
  }

  /** RabbitMQ version as the broker announced it in connection.start. */
  get serverVersion(): string {
    return String((this.connection.connection as unknown as { serverProperties?: { version?: string } }).serverProperties?.version);
  }

  /** Exchanges to delete at the end (queues are found by prefix). */
  trackExchanges(...names: string[]): void {
    names.forEach((name) => this.exchanges.add(name));
  }

  /** Runs `work` on a fresh channel: a failed operation closes its channel, never the connection. */
  async withChannel<T>(work: (channel: Channel) => Promise<T>): Promise<T> {
    const channel = await this.connection.createChannel();
    channel.on('error', () => undefined);
    try {
      return await withDeadline(work(channel), 120_000, 'broker operation');
    } finally {
      await withDeadline(channel.close(), 10_000, 'closing a channel').catch(() => undefined);
    }
  }

  async declareClassicQueue(queue: string): Promise<void> {
    await this.withChannel((channel) => channel.assertQueue(queue, { durable: true }));
  }

  /** Ready count and consumers from a passive declare. */
  async check(queue: string): Promise<{ ready: number; consumers: number }> {
    const reply = await this.withChannel((channel) => channel.checkQueue(queue));
    return { ready: reply.messageCount, consumers: reply.consumerCount };
  }

  /** Messages (ready + unacked) of every queue whose name starts with `prefix`. */
  async depths(prefix: string): Promise<Map<string, number>> {
    const rows = (await this.listQueues()).filter((row) => row.name.startsWith(prefix));
    return new Map(rows.map((row) => [row.name, row.messages_ready + row.messages_unacknowledged]));
  }

  /** Waits until nobody consumes the queue and its count stands still (the broker requeued what a dead consumer held). */
  async settledDepth(queue: string, timeoutMs = 60_000): Promise<number> {
    let previous = -1;
    await pollUntil(
      async () => {
        const { ready, consumers } = await this.check(queue);
        const stable = consumers === 0 && ready === previous;
        previous = ready;
        return stable;
      },
      timeoutMs,
      `queue ${queue} to settle with no consumer`,
    );
    return previous;
  }

  /** Publishes `count` persistent messages on a confirm channel, at most `window` unconfirmed; returns msg/s. */
  async fill(exchange: string, routingKey: string, count: number, body: (i: number) => Buffer, window = 1000): Promise<number> {
    const channel = await this.connection.createConfirmChannel();
    let failure: Error | undefined;
    channel.on('error', (error: Error) => (failure ??= error));
    const started = performance.now();
    const pending: Promise<void>[] = [];
    try {
      for (let i = 0; i < count && !failure; i++) {
        // the window bounds what is buffered: no need to wait for 'drain' as well
        const confirmed = new Promise<void>((resolve, reject) => {
          channel.publish(exchange, routingKey, body(i), { persistent: true, contentType: 'application/json' }, (error) =>
            error ? reject(new Error(`publish nacked: ${String(error)}`)) : resolve(),
          );
        });
        pending.push(confirmed);
        if (pending.length >= window) {
          await withDeadline(Promise.all(pending.splice(0)), 120_000, `fill of ${routingKey}`);
        }
      }
      await withDeadline(Promise.all(pending), 120_000, `fill of ${routingKey}`);
      if (failure) {
        throw failure;
      }
    } finally {
      await withDeadline(channel.close(), 10_000, 'closing the fill channel').catch(() => undefined);
    }
    return Math.round(count / ((performance.now() - started) / 1000));
  }

  async deleteQueue(queue: string): Promise<void> {
    await this.withChannel((channel) => channel.deleteQueue(queue)).catch(() => undefined);
  }

  async purgeQueue(queue: string): Promise<void> {
    await this.withChannel((channel) => channel.purgeQueue(queue)).catch(() => undefined);
  }

  /** Deletes every queue and exchange of this run (by prefix, and the tracked exchanges). Never throws. */
  async cleanup(): Promise<void> {
    const queues = await this.listQueues().catch(() => []);
    const exchanges = new Set([...this.exchanges, ...(await this.listExchanges().catch(() => [])).filter((e) => e.startsWith(this.prefix))]);
    for (const row of queues.filter((q) => q.name.startsWith(this.prefix))) {
      await withDeadline(this.deleteQueue(row.name), 60_000, `deleting queue ${row.name}`).catch((e: unknown) => log(String(e)));
    }
    for (const exchange of exchanges) {
      await this.withChannel((channel) => channel.deleteExchange(exchange)).catch(() => undefined);
    }
  }

  /** Names of this run still on the broker (the run fails when there are any). */
  async leftovers(): Promise<string[]> {
    const queues = (await this.listQueues()).filter((q) => q.name.startsWith(this.prefix)).map((q) => `queue ${q.name}`);
    const exchanges = (await this.listExchanges()).filter((e) => e.startsWith(this.prefix)).map((e) => `exchange ${e}`);
    return [...queues, ...exchanges];
  }

  /** CPU seconds the broker's Erlang VM has used so far when it runs on this machine (`os:getpid()` is a beam), else null. */
  async cpuSeconds(): Promise<number | null> {
    this.beamPid ??= (async () => {
      const pid = Number((await this.rabbitmqctl(['eval', 'os:getpid().'])).replace(/\D/g, ''));
      const comm = await readFile(`/proc/${pid}/comm`, 'utf8').catch(() => '');
      return comm.startsWith('beam') ? pid : null;
    })().catch(() => null);
    const pid = await this.beamPid;
    return pid === null ? null : processCpuSeconds(pid);
  }

  /**
   * Waits (at most 20 s) until the broker uses under 15 % of a core: after a fill it keeps writing its message store
   * for seconds, and a subject started meanwhile shares the cores with that work (the same code measured 14 or 25 ms
   * per 1,000 messages depending on the overlap).
   */
  async waitUntilQuiet(): Promise<void> {
    const started = Date.now();
    let before = await this.cpuSeconds();
    while (before !== null && Date.now() - started < 20_000) {
      await sleep(500);
      const now = await this.cpuSeconds();
      if (now === null || now - before < 0.075) {
        return;
      }
      before = now;
    }
  }

  async close(): Promise<void> {
    await withDeadline(this.connection.close(), 10_000, 'closing the harness connection').catch(() => undefined);
  }

  private async rabbitmqctl(args: string[]): Promise<string> {
    const node = process.env.BENCH_RABBITMQ_NODE;
    const { stdout } = await run('rabbitmqctl', [...(node ? ['-n', node] : []), '-q', ...args], { timeout: 30_000, maxBuffer: 64 << 20 });
    return stdout;
  }

  private async listQueues(): Promise<QueueRow[]> {
    const out = await this.rabbitmqctl(['list_queues', 'name', 'messages_ready', 'messages_unacknowledged', 'consumers', '--formatter', 'json']);
    return JSON.parse(out) as QueueRow[];
  }

  private async listExchanges(): Promise<string[]> {
    return (JSON.parse(await this.rabbitmqctl(['list_exchanges', 'name', '--formatter', 'json'])) as { name: string }[]).map((e) => e.name);
  }
}

/** A JSON body of exactly `bytes` bytes built from `shape(pad)`, padded with 'x'. */
export function jsonBodyOfSize(bytes: number, shape: (pad: string) => unknown): Buffer {
  const empty = Buffer.byteLength(JSON.stringify(shape('')));
  return Buffer.from(JSON.stringify(shape('x'.repeat(Math.max(0, bytes - empty)))));
}
