import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import amqp, { type ChannelModel, type ConfirmChannel } from 'amqplib';
import { HEADER_ERROR_TYPE } from '../../src/rabbitmq/wire/message-headers.js';
import { BrokerProbe, listOnSharedBroker, SHARED_AMQP_URL, uniqueNames } from '../support/broker.js';
import { removeTopology, serviceQueues } from '../support/demo-app.js';
import { freePort } from '../support/free-port.js';
import { mib, RssSampler } from '../support/process-rss.js';
import { ServiceProcess } from '../support/service-process.js';
import { waitFor } from '../support/wait-for.js';

/**
 * Issue 11, observation 6: a plain producer publishes messages far over MAX_MESSAGE_BYTES to a
 * handler queue of the real service process (`node dist/main.js`, demo defaults: 5 queues,
 * prefetch 50 capped to 11, MAX_MESSAGE_BYTES 256 KiB). The shared broker keeps its default
 * max_message_size (128 MiB), so it delivers them anyway. Before the adaptive window the broker
 * could have 21 of them in flight to the service (21 × 16 MB), and a backlog of 40 × 16 MB took it
 * to 260–290 MB peak RSS here; now the queue's consumer has a prefetch of 1 from the first one on
 * (checked on the broker's side), one body at a time is in flight, RSS stays within the stated
 * bound, and every one is parked as MessageTooLargeError in the .dlq.
 *
 * On this machine the broker hands over a 16 MB quorum-queue message about as fast as the service
 * parks one, so the old code rarely had more than 2 in flight and its peak RSS is close to the
 * bound: the prefetch and bytes-in-flight checks are what fail without the adaptive window.
 */

const LARGE_BYTES = 16_000_000;
const LARGE_COUNT = 40;
/** Each body in flight costs about 3× in RSS (socket chunks, the assembled body, the .dlq copy's frames). */
const RSS_PER_BODY_BYTE = 3;
/**
 * V8 frees dead Buffers only once about 64 MiB of them have piled up (its external-memory GC
 * step), and more arrive while that collection runs: measured 75–100 MiB here, whatever the body
 * count (docs/operations.md's "up to ~100 MiB"), plus room for a loaded machine.
 */
const GC_SLACK_BYTES = 128 * 1024 * 1024;
/** Small events, enough to fill the window of the queue. */
const SMALL_COUNT = 40;
/**
 * Demo defaults: prefetch 50, capped by the byte budget to 11 for each of its 5 queues (4 event handlers, 1 request
 * queue): they share the budget's 64 maximum-size messages less the 8 that the partition queues of the handler ordered
 * per customer hold, one each.
 */
const CAPPED_PREFETCH = 11;

interface ConsumerDetails {
  queue: string;
  window: number;
  prefetch: number;
}
interface ReadyDetails {
  flow: { inFlightBytes: number };
  consumers: ConsumerDetails[];
}

describe('a backlog of messages far over MAX_MESSAGE_BYTES (real service process)', () => {
  const names = uniqueNames('large-backlog');
  const queue = `${names.serviceName}.notifications.user-registered`;
  const dlq = `${queue}.dlq`;
  const services: ServiceProcess[] = [];
  let env: Record<string, string>;
  let broker: BrokerProbe;
  let producer: ChannelModel;
  let channel: ConfirmChannel;
  let service: ServiceProcess;

  beforeAll(async () => {
    broker = await BrokerProbe.open();
    producer = await amqp.connect(SHARED_AMQP_URL, { clientProperties: { connection_name: 'warren-test-large-producer' } });
    producer.on('error', () => undefined);
    channel = await producer.createConfirmChannel();
    env = { AMQP_URL: SHARED_AMQP_URL, SERVICE_NAME: names.serviceName, EVENTS_EXCHANGE: names.exchange, PORT: await freePort() };
  }, 60_000);

  afterAll(async () => {
    await Promise.all(services.map((s) => s.stop()));
    await producer?.close().catch(() => undefined);
    await broker?.close();
    await removeTopology(names.exchange, await serviceQueues(names));
  }, 60_000);

  /** Publishes like any AMQP client, one confirmed message at a time (the test process holds one body). */
  async function publish(body: Buffer, messageId: string): Promise<void> {
    channel.publish(names.exchange, 'user.registered', body, { persistent: true, messageId, contentType: 'application/json' });
    await channel.waitForConfirms();
  }

  async function publishSmall(prefix: string, count: number): Promise<void> {
    for (let i = 0; i < count; i++) {
      const userId = `${prefix}-${i}`;
      await publish(Buffer.from(JSON.stringify({ userId, email: `${userId}@example.com`, name: 'N' })), userId);
    }
  }

  /** Starts the service with RSS sampled from its first moment; resolves once it is ready. */
  async function launch(): Promise<{ started: ServiceProcess; rss: RssSampler }> {
    const started = ServiceProcess.launch(env);
    services.push(started);
    const rss = new RssSampler(started.child.pid!, 50);
    rss.start();
    await waitFor('the service to be ready', () => started.isReady(env.PORT).catch(() => false), { timeoutMs: 30_000, intervalMs: 100 });
    return { started, rss };
  }

  /** The readiness details (flow and consumers), whatever the status code. */
  async function details(): Promise<ReadyDetails> {
    const response = await fetch(`http://127.0.0.1:${env.PORT}/health/ready`, { signal: AbortSignal.timeout(5_000) });
    const body = (await response.json()) as { details?: { rabbitmq?: ReadyDetails }; error?: { rabbitmq?: ReadyDetails } };
    return (body.details ?? body.error)!.rabbitmq!;
  }

  /** prefetch_count of each consumer of the queue, as the broker reports it (rabbitmqctl). */
  async function brokerPrefetch(): Promise<number[]> {
    const rows = await listOnSharedBroker<{ queue_name: string; prefetch_count: number }>(['list_consumers', 'queue_name', 'prefetch_count']);
    return rows.filter((row) => row.queue_name === queue).map((row) => row.prefetch_count);
  }

  async function windowOfQueue(): Promise<number> {
    return (await details()).consumers.find((consumer) => consumer.queue === queue)!.window;
  }

  /** Largest bytes in flight seen by polling readiness until stop() (what the window admits, sampled). */
  function watchInFlight(): { stop(): Promise<number> } {
    let max = 0;
    let running = true;
    const loop = (async () => {
      while (running) {
        max = Math.max(max, (await details().catch(() => ({ flow: { inFlightBytes: 0 } }))).flow.inFlightBytes);
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
    })();
    return {
      stop: async () => {
        running = false;
        await loop;
        return max;
      },
    };
  }

  /** Takes every message off the DLQ: each parked once as MessageTooLargeError, with its whole body. */
  async function drainParked(): Promise<string[]> {
    const parked: string[] = [];
    for (let message = await broker.take(dlq); message; message = await broker.take(dlq)) {
      expect(message.properties.headers?.[HEADER_ERROR_TYPE]).toBe('MessageTooLargeError');
      expect(message.content.length).toBe(LARGE_BYTES);
      parked.push(String(message.properties.messageId));
    }
    return parked.sort();
  }

  async function waitParked(count: number): Promise<void> {
    const allParked = async () => (await broker.ready(dlq)) === count && (await broker.ready(queue)) === 0;
    await waitFor(`${count} parked in ${dlq}, none left in ${queue}`, allParked, { timeoutMs: 180_000, intervalMs: 250 });
  }

  it('a backlog there when the service starts is taken one at a time: peak RSS within the bound, every one parked', async () => {
    // The first start declares the topology and shows the RSS of start-up with nothing to do.
    const first = await launch();
    await new Promise((resolve) => setTimeout(resolve, 1_000)); // idle after ready: part of the baseline, not a wait for a condition
    first.rss.stop();
    const baseline = Math.max(...first.rss.samples.map((s) => s.bytes));
    first.started.signal('SIGTERM');
    expect((await first.started.exit(30_000)).code).toBe(0);

    // The backlog, while no service consumes.
    const run = randomUUID().slice(0, 8);
    const body = Buffer.alloc(LARGE_BYTES, 0x61);
    const ids = Array.from({ length: LARGE_COUNT }, (_, i) => `large-${run}-${i}`);
    for (const id of ids) {
      await publish(body, id);
    }
    expect(await broker.ready(queue)).toBe(LARGE_COUNT);

    const second = await launch();
    service = second.started;
    const inFlight = watchInFlight();
    // The broker may send this consumer one message at a time (a consumer exists while the backlog
    // drains: the queue is far from empty this early).
    expect(await brokerPrefetch()).toEqual([1]);
    await waitParked(LARGE_COUNT);
    const maxInFlight = await inFlight.stop();
    second.rss.stop();
    const peak = Math.max(...second.rss.samples.map((s) => s.bytes));
    const bound = baseline + RSS_PER_BODY_BYTE * LARGE_BYTES + GC_SLACK_BYTES;
    const report = `baseline ${mib(baseline)}, peak ${mib(peak)} (bound ${mib(bound)}), most bytes in flight ${maxInFlight}`;
    // eslint-disable-next-line no-console
    console.log(report);

    // One at a time: never more than one large body in flight, and RSS within the stated bound.
    expect(maxInFlight).toBeLessThanOrEqual(LARGE_BYTES);
    expect(peak).toBeLessThanOrEqual(bound);
    expect(await windowOfQueue()).toBe(1);
    // Nothing lost: each one parked once, with its reason and its body.
    expect(await drainParked()).toEqual([...ids].sort());
  }, 300_000);

  it('a window opened by small events is cut to 1 at the first oversized body and opens again after', async () => {
    const run = randomUUID().slice(0, 8);
    await publishSmall(`u-${run}-a`, SMALL_COUNT);
    const mailsTo = (prefix: string) => service.linesWith(`mail to ${prefix}-`).length;
    await waitFor(`${SMALL_COUNT} welcome mails`, () => mailsTo(`u-${run}-a`) === SMALL_COUNT, { timeoutMs: 30_000 });
    await waitFor('the window open to the cap', async () => (await windowOfQueue()) === CAPPED_PREFETCH);
    // Idle, the consumer runs with the whole window: the broker may send it 11 at once.
    await waitFor('a consumer with the whole window on the broker', async () => (await brokerPrefetch())[0] === CAPPED_PREFETCH, {
      intervalMs: 500,
    });
    expect(await brokerPrefetch()).toEqual([CAPPED_PREFETCH]);
    const cutsBefore = service.linesWith('cut to 1').length;

    const body = Buffer.alloc(LARGE_BYTES, 0x62);
    const ids = [0, 1, 2].map((i) => `cut-${run}-${i}`);
    for (const id of ids) {
      await publish(body, id);
    }
    await waitParked(ids.length);
    expect(service.linesWith(`prefetch window of ${queue} cut to 1`).length).toBe(cutsBefore + 1);
    expect(await windowOfQueue()).toBe(1);
    expect(await brokerPrefetch()).toEqual([1]);
    expect(await drainParked()).toEqual(ids);

    // Small bodies again: the window opens, and they are handled.
    await publishSmall(`u-${run}-b`, SMALL_COUNT);
    await waitFor(`${SMALL_COUNT} more welcome mails`, () => mailsTo(`u-${run}-b`) === SMALL_COUNT, { timeoutMs: 30_000 });
    await waitFor('the window open to the cap again', async () => (await windowOfQueue()) === CAPPED_PREFETCH);
  }, 240_000);
});
