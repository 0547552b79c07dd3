import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { promisify } from 'node:util';
import amqp, { type Channel, type ChannelModel, type GetMessage } from 'amqplib';

const run = promisify(execFile);

/** The shared broker every e2e test uses, with its own unique names (never stopped here). */
export const SHARED_AMQP_URL = process.env.AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672';

/** Unique names per test so suites never see each other's messages. */
export function uniqueNames(prefix: string): { serviceName: string; exchange: string } {
  const id = randomUUID().slice(0, 8);
  return { serviceName: `t-${prefix}-${id}`, exchange: `t-${prefix}-${id}.events` };
}

/**
 * A plain amqplib connection used by tests to play "another AMQP client" and to inspect queues.
 * It is the test's own, not the service's, so it never counts in the service's connections.
 */
export class BrokerProbe {
  private constructor(
    private readonly connection: ChannelModel,
    readonly channel: Channel,
  ) {}

  static async open(url = SHARED_AMQP_URL): Promise<BrokerProbe> {
    const connection = await amqp.connect(url, { clientProperties: { connection_name: 'warren-test-probe' } });
    // A failing probe must fail its test, not crash the test process with an unhandled 'error'.
    connection.on('error', () => undefined);
    const channel = await connection.createChannel();
    channel.on('error', () => undefined);
    return new BrokerProbe(connection, channel);
  }

  /**
   * Ready messages in a queue (the broker's passive declare, exact for every queue type). A
   * channel of its own: a passive declare of a missing queue closes the channel it ran on.
   */
  async ready(queue: string): Promise<number> {
    const channel = await this.connection.createChannel();
    channel.on('error', () => undefined);
    try {
      return (await channel.checkQueue(queue)).messageCount;
    } finally {
      await channel.close().catch(() => undefined);
    }
  }

  /**
   * Ready and unacknowledged counts, from rabbitmqctl (the protocol only reports ready). Live
   * for classic queues; quorum queue counters are refreshed every ~5 s, so tests that assert
   * a quorum queue is fully acked close the consumer first and then check `ready`.
   */
  async depth(queue: string): Promise<{ ready: number; unacked: number }> {
    const rows = await listOnSharedBroker<{ name: string; messages_ready: number; messages_unacknowledged: number }>([
      'list_queues',
      'name',
      'messages_ready',
      'messages_unacknowledged',
    ]);
    const row = rows.find((r) => r.name === queue);
    if (!row) {
      throw new Error(`queue ${queue} does not exist`);
    }
    return { ready: row.messages_ready, unacked: row.messages_unacknowledged };
  }

  /** Takes one message off a queue (basic.get, acked), or undefined if the queue is empty. */
  async take(queue: string): Promise<GetMessage | undefined> {
    const message = await this.channel.get(queue, { noAck: true });
    return message === false ? undefined : message;
  }

  /**
   * A queue of the probe's own (server-named, exclusive: gone with the probe's connection) bound to
   * `exchange` with each of `patterns`, as another service listening there would have.
   */
  async listen(exchange: string, ...patterns: string[]): Promise<string> {
    const { queue } = await this.channel.assertQueue('', { exclusive: true });
    for (const pattern of patterns) {
      await this.channel.bindQueue(queue, exchange, pattern);
    }
    return queue;
  }

  /** Publishes raw bytes as any AMQP client would. */
  publish(exchange: string, routingKey: string, body: string | Buffer, options: amqp.Options.Publish = {}): void {
    this.channel.publish(exchange, routingKey, Buffer.isBuffer(body) ? body : Buffer.from(body), options);
  }

  /** Deletes queues and exchanges, ignoring ones already gone (a fresh channel per delete). */
  async remove(names: { queues?: string[]; exchanges?: string[] }): Promise<void> {
    for (const queue of names.queues ?? []) {
      const channel = await this.connection.createChannel();
      await channel.deleteQueue(queue).catch(() => undefined);
      await channel.close().catch(() => undefined);
    }
    for (const exchange of names.exchanges ?? []) {
      const channel = await this.connection.createChannel();
      await channel.deleteExchange(exchange).catch(() => undefined);
      await channel.close().catch(() => undefined);
    }
  }

  async close(): Promise<void> {
    await this.connection.close().catch(() => undefined);
  }
}

/**
 * `rabbitmqctl -q <list command> --formatter json` on the shared broker, parsed. Suites run side by
 * side (jest workers): a queue, consumer or connection that another suite deletes while the broker
 * lists it fails the whole listing (`badrpc … noproc`), so such a listing is asked again, up to 3
 * times. Any other failure (a timeout, a missing rabbitmqctl) is thrown at once.
 */
export async function listOnSharedBroker<Row>(listCommand: string[]): Promise<Row[]> {
  for (let attempt = 1; ; attempt++) {
    try {
      const { stdout } = await run('rabbitmqctl', ['-q', ...listCommand, '--formatter', 'json'], { timeout: 30_000 });
      return JSON.parse(stdout) as Row[];
    } catch (error) {
      if (attempt >= 3 || !/noproc|badrpc/.test(String(error))) {
        throw error;
      }
    }
  }
}

/** Connections the broker holds, by name, with rabbitmqctl (what an operator would run). */
export async function listConnectionNames(): Promise<string[]> {
  const rows = await listOnSharedBroker<{ client_properties: unknown }>(['list_connections', 'client_properties']);
  return rows.map((row) => connectionNameOf(row.client_properties)).filter((name): name is string => !!name);
}

/** Open channels of the connection named `name` (connection_name), with rabbitmqctl; 0 if it is not there. */
export async function channelCount(name: string): Promise<number> {
  const rows = await listOnSharedBroker<{ client_properties: unknown; channels: number }>(['list_connections', 'client_properties', 'channels']);
  return rows.filter((row) => connectionNameOf(row.client_properties) === name).reduce((sum, row) => sum + row.channels, 0);
}

/** rabbitmqctl's JSON renders client_properties as [name, type, value] triples. */
function connectionNameOf(properties: unknown): string | undefined {
  if (!Array.isArray(properties)) {
    return undefined;
  }
  for (const entry of properties) {
    if (Array.isArray(entry) && entry[0] === 'connection_name') {
      return String(entry[2]);
    }
  }
  return undefined;
}
