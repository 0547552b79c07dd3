/**
 * The broker's side of an HTTP publish, without HTTP or a transport library: raw amqplib keeps
 * BENCH_IN_FLIGHT (50) persistent publishes waiting for their confirms, each one replaced when
 * confirmed (like 50 HTTP connections each waiting for its 202), for BENCH_SECONDS, in the
 * message shape of one client (BENCH_SHAPE):
 *  - nest:   Nest's ClientRMQ.emit — `{pattern, data}` JSON to the default exchange, straight
 *            into BENCH_QUEUE, `persistent` its only property
 *  - warren: warren's RabbitClient.publish — the event JSON to BENCH_EXCHANGE (a plain topic
 *            exchange) with routing key = pattern and the properties warren sets
 *            (messageId, timestamp, type, contentType, appId), built by warren's own code
 * Reports `done` with the count of confirms and the confirm latency percentiles.
 */
import { randomUUID } from 'node:crypto';
import amqp from 'amqplib';
import { buildMessageProperties } from '../../src/rabbitmq/publisher/message-properties.js';
import { AMQP_URL } from '../lib/util.js';
import { dieWithHarness, fail, need, optionalInt, tell } from './ipc.js';

dieWithHarness();

const PATTERN = 'order.created';

function orderEvent(): Record<string, unknown> {
  return { orderId: randomUUID(), customerId: 'c1', items: [{ sku: 'a', quantity: 1 }], createdAt: new Date().toISOString() };
}

async function main(): Promise<void> {
  const shape = need('BENCH_SHAPE');
  const inFlight = optionalInt('BENCH_IN_FLIGHT') ?? 50;
  const seconds = optionalInt('BENCH_SECONDS') ?? 5;
  const target = shape === 'nest' ? { exchange: '', routingKey: need('BENCH_QUEUE') } : { exchange: need('BENCH_EXCHANGE'), routingKey: PATTERN };
  const connection = await amqp.connect(AMQP_URL, { clientProperties: { connection_name: `bench-publish-shape-${shape}` } });
  const channel = await connection.createConfirmChannel();
  const publishOne = (): Promise<void> =>
    new Promise((resolve, reject) => {
      const done = (error: unknown): void => (error ? reject(error instanceof Error ? error : new Error(String(error))) : resolve());
      if (shape === 'nest') {
        const content = Buffer.from(JSON.stringify({ pattern: PATTERN, data: orderEvent() }));
        channel.publish(target.exchange, target.routingKey, content, { persistent: true }, done);
        return;
      }
      const content = Buffer.from(JSON.stringify(orderEvent()));
      const properties = buildMessageProperties({ pattern: PATTERN, contentType: 'application/json', appId: 'bench-http-warren' });
      channel.publish(target.exchange, target.routingKey, content, properties, done);
    });
  tell({ type: 'ready', pid: process.pid });
  const latencies: number[] = [];
  const started = performance.now();
  const stopAt = started + seconds * 1000;
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      while (performance.now() < stopAt) {
        const sentAt = performance.now();
        await publishOne();
        latencies.push(performance.now() - sentAt);
      }
    }),
  );
  const elapsedMs = performance.now() - started;
  latencies.sort((a, b) => a - b);
  const at = (q: number): number => latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * q))] ?? Number.NaN;
  tell({ type: 'done', confirmed: latencies.length, elapsedMs, p50Ms: at(0.5), p99Ms: at(0.99) });
  await channel.close();
  await connection.close();
  process.exit(0);
}

main().catch(fail);
