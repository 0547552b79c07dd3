/**
 * Ordered handlers, single queue vs per key: two replicas (two Nest microservices in this process) of one handler that
 * waits BENCH_ORDERED_IO_MS (10 ms: a database or HTTP call) per event, on the local broker. `ordered: true` runs one
 * event at a time for the whole queue; `ordered: { by, partitions }` one at a time per partition, partitions spread
 * over the replicas (BENCH_ORDERED_PARTITIONS, default 8 and 16). After a warm-up (the second replica takes its share of the partitions), BENCH_ORDERED_N events on
 * BENCH_ORDERED_KEYS keys are published in one burst; throughput = events / (last handled − first published). Per-key
 * order is checked on every event. Writes bench/results/ordered.md. Run: `npm run bench:ordered`.
 */
import 'reflect-metadata';
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { Controller, type DynamicModule, type INestMicroservice, Module } from '@nestjs/common';
import { Payload } from '@nestjs/microservices';
import amqp from 'amqplib';
import { createRabbitMicroservice, RabbitServer } from '../src/rabbitmq/admin.js';
import { HandleEvent, RabbitMQModule } from '../src/rabbitmq/index.js';
import { AMQP_URL, BENCH_DIR, envInt, log, randomSuffix, sleep } from './lib/util.js';

interface Entry {
  key: string;
  seq: number;
}

const IO_MS = envInt('BENCH_ORDERED_IO_MS', 10);
const N = envInt('BENCH_ORDERED_N', 3_000);
const KEYS = envInt('BENCH_ORDERED_KEYS', 100);
/** Partition counts to measure per key: the default (8) and more. */
const PARTITIONS = (process.env.BENCH_ORDERED_PARTITIONS ?? '8,16').split(',').map(Number);
const PATTERN = 'bench.entry';
/** Every handled event, both replicas, in completion order. */
const handled: (Entry & { at: number })[] = [];

/** `ordered: true`, or per key on this many partitions. */
type Mode = 'single' | number;

function describeMode(mode: Mode): string {
  return mode === 'single' ? 'single queue (`ordered: true`)' : `per key (\`ordered: { by, partitions: ${mode} }\`)`;
}

function handlerClass(mode: Mode, queue: string): new () => object {
  const ordered = mode === 'single' ? true : { by: (entry: Entry) => entry.key, partitions: mode };
  @Controller()
  class OrderedBenchHandler {
    @HandleEvent(PATTERN, { ordered, queue })
    async onEntry(@Payload() entry: Entry): Promise<void> {
      await sleep(IO_MS);
      handled.push({ ...entry, at: performance.now() });
    }
  }
  return OrderedBenchHandler;
}

function replicaModule(handler: new () => object, names: { serviceName: string; exchange: string }): DynamicModule {
  @Module({})
  class BenchReplicaModule {}
  return {
    module: BenchReplicaModule,
    imports: [RabbitMQModule.forRoot({ urls: [AMQP_URL], ...names, consume: { killSwitch: { enabled: false } } })],
    controllers: [handler],
  };
}

async function publishBurst(channel: amqp.ConfirmChannel, exchange: string, from: number, count: number): Promise<void> {
  for (let i = from; i < from + count; i++) {
    const entry: Entry = { key: `k${i % KEYS}`, seq: Math.floor(i / KEYS) };
    channel.publish(exchange, PATTERN, Buffer.from(JSON.stringify(entry)), { contentType: 'application/json', persistent: true });
  }
  await channel.waitForConfirms();
}

async function waitForHandled(count: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (handled.length < count) {
    if (Date.now() > deadline) throw new Error(`only ${handled.length} of ${count} events handled within ${timeoutMs} ms`);
    await sleep(20);
  }
}

/** Keys whose seqs were handled out of publish order. */
function outOfOrderKeys(): number {
  const last = new Map<string, number>();
  let bad = 0;
  for (const { key, seq } of handled) {
    if ((last.get(key) ?? -1) > seq) bad += 1;
    last.set(key, seq);
  }
  return bad;
}

async function runMode(mode: Mode): Promise<{ mode: string; perSecond: number; outOfOrder: number }> {
  const id = randomSuffix();
  const names = { serviceName: `bench-${id}`, exchange: `bench-${id}.events` };
  const queue = `bench-${id}.ordered`;
  const handler = handlerClass(mode, queue);
  const replicas: INestMicroservice[] = [];
  const connection = await amqp.connect(AMQP_URL);
  const channel = await connection.createConfirmChannel();
  try {
    for (let i = 0; i < 2; i++) {
      const app = await createRabbitMicroservice(replicaModule(handler, names), { logger: ['error'] });
      await app.listen();
      await app.get(RabbitServer).waitForConsumers();
      replicas.push(app);
    }
    handled.length = 0;
    // Warm-up: enough events, for long enough, for the second replica to take its share of the partitions.
    const warmUp = Math.min(N, 10 * KEYS);
    await publishBurst(channel, names.exchange, 0, warmUp);
    await waitForHandled(warmUp, 600_000);
    await sleep(5_000); // two rebalance rounds
    handled.length = 0;
    const startedAt = performance.now();
    await publishBurst(channel, names.exchange, warmUp, N);
    await waitForHandled(N, 600_000);
    const perSecond = Math.round(N / ((handled.at(-1)!.at - startedAt) / 1000));
    log(`ordered ${describeMode(mode)}: ${perSecond} events/s, ${outOfOrderKeys()} out of order`);
    return { mode: describeMode(mode), perSecond, outOfOrder: outOfOrderKeys() };
  } finally {
    const declared = replicas[0]?.get(RabbitServer).declaredQueues() ?? [];
    for (const app of replicas) await app.close().catch(() => undefined);
    for (const name of declared) await channel.deleteQueue(name).catch(() => undefined);
    await channel.deleteExchange(names.exchange).catch(() => undefined);
    await connection.close().catch(() => undefined);
  }
}

async function main(): Promise<void> {
  const single = await runMode('single');
  const keyed = [];
  for (const partitions of PARTITIONS) keyed.push(await runMode(partitions));
  const rows = [single, ...keyed].map(
    (row) => `| ${row.mode} | ${row.perSecond} | ${(row.perSecond / single.perSecond).toFixed(1)}× | ${row.outOfOrder} |`,
  );
  const report = [
    '# Ordered handlers: single queue vs per key',
    '',
    `${new Date().toISOString().slice(0, 10)}, local RabbitMQ 3.10, 2 replicas (two microservices in one process), a handler that ` +
      `waits ${IO_MS} ms per event (I/O), ${N} events on ${KEYS} keys published in one burst after a warm-up. ` +
      'Reproduce: `npm run bench:ordered` (BENCH_ORDERED_N, _KEYS, _PARTITIONS, _IO_MS).',
    '',
    '| handler | events/s | vs single queue | events out of per-key order |',
    '|---|---:|---:|---:|',
    ...rows,
    '',
  ].join('\n');
  writeFileSync(resolve(BENCH_DIR, 'results', 'ordered.md'), report);
  log(report);
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    log(`bench:ordered failed: ${String(error)}`);
    process.exit(1);
  },
);
