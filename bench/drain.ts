/**
 * Scenario 1 — drain a backlog with a no-op handler, prefetch 100, one subject after another:
 *  (a) raw amqplib, manual ack
 *  (b) Nest built-in Transport.RMQ microservice, noAck:false, prefetchCount 100, handler acks
 *      via context.getChannelRef().ack(context.getMessage()); fill in Nest's {pattern, data} shape
 *  (c) warren (same minimal microservice, @HandleEvent with prefetch 100), plain JSON via its exchange,
 *      with maxInFlightBytes = 100 × maxMessageBytes (25 MiB) so that its prefetch cap lets 100 apply
 *  (d) warren as (c) with its default byte budget, which caps prefetch (to 64 today)
 *  (e) @golevelup/nestjs-rabbitmq 9 (`@RabbitSubscribe`, prefetchCount 100), plain JSON on its own queue
 * Each subject: fill its own classic durable queue with N × 1 KB persistent messages (confirm
 * channel), start the subject as a child process, time first delivery → N-th handled, let it
 * close gracefully, check the queue is empty, delete it.
 *
 * `node bench/.build/bench/drain.js`; env BENCH_DRAIN_N (default 200000), BENCH_DRAIN_SUBJECTS (all, comma-separated),
 * BENCH_DRAIN_ROUNDS (default 1; each subject's row is then its median round by CPU per message).
 */
import { BenchBroker, jsonBodyOfSize } from './lib/broker.js';
import { writeReport } from './lib/report.js';
import type { DrainResult, DrainSubjectName, DrainSubjectResult } from './lib/results.js';
import { declareWarrenTopology, effectivePrefetch, PATTERN, startSubject, waitForDone, warrenEnv } from './lib/subjects.js';
import { builtPath, envInt, isMain, log, randomSuffix, ratio, round } from './lib/util.js';
import { runStandalone } from './lib/bench-run.js';

export const DRAIN_MESSAGE_BYTES = 1024;
export const DRAIN_PREFETCH = 100;

/** warren's default maxMessageBytes (256 KiB): its prefetch cap is maxInFlightBytes / this */
const WARREN_DEFAULT_MAX_MESSAGE_BYTES = 256 * 1024;

const LABELS: Record<DrainSubjectName, string> = {
  raw: 'raw amqplib (prefetch 100, manual ack)',
  nest: 'Nest Transport.RMQ (noAck:false, prefetch 100)',
  warren: 'warren (prefetch 100; budget 25 MiB)',
  'warren-default-budget': 'warren (prefetch 100 asked; default budget)',
  golevelup: '@golevelup/nestjs-rabbitmq 9 (prefetch 100)',
};

/** The subjects of issue 14's CPU target (warren ≤ 1.25× raw amqplib, below golevelup): they run every round. */
const CPU_TARGET_SUBJECTS: DrainSubjectName[] = ['raw', 'golevelup', 'warren'];

export const DRAIN_SUBJECTS: DrainSubjectName[] = ['raw', 'nest', 'golevelup', 'warren', 'warren-default-budget'];

export async function runDrain(
  broker: BenchBroker,
  n: number,
  order: DrainSubjectName[] = drainSubjectsFromEnv(),
  rounds: number = envInt('BENCH_DRAIN_ROUNDS', 1),
): Promise<DrainResult> {
  // Subjects take turns, round after round, so that a slow minute of the shared machine (or of
  // the broker) hits each of them; each subject's row is its median round by CPU per message.
  const runs = new Map<DrainSubjectName, DrainSubjectResult[]>(order.map((name) => [name, []]));
  for (let round = 1; round <= rounds; round++) {
    // Rounds after the first: only the subjects the CPU target compares (the whole run must stay under 15 minutes).
    for (const name of round === 1 ? order : order.filter((subject) => CPU_TARGET_SUBJECTS.includes(subject))) {
      log(`drain: ${LABELS[name]}, N=${n}${rounds > 1 ? `, round ${round} of ${rounds}` : ''}`);
      runs.get(name)!.push(await drainOne(broker, name, n));
    }
  }
  const subjects = order.map((name) => medianRound(runs.get(name)!));
  const by = (name: DrainSubjectName): number | null => subjects.find((s) => s.subject === name)?.msgPerSec ?? null;
  const cpu = (name: DrainSubjectName): number | null => subjects.find((s) => s.subject === name)?.cpuMsPer1k ?? null;
  return {
    n,
    messageBytes: DRAIN_MESSAGE_BYTES,
    prefetch: DRAIN_PREFETCH,
    queueType: 'classic',
    subjects,
    ratios: {
      warrenOverRaw: ratio(by('warren'), by('raw')),
      warrenOverNest: ratio(by('warren'), by('nest')),
      nestOverRaw: ratio(by('nest'), by('raw')),
      defaultBudgetOverRaw: ratio(by('warren-default-budget'), by('raw')),
      defaultBudgetOverNest: ratio(by('warren-default-budget'), by('nest')),
      cpuWarrenOverRaw: ratio(cpu('warren'), cpu('raw')),
      cpuWarrenOverGolevelup: ratio(cpu('warren'), cpu('golevelup')),
    },
  };
}

/** The round with the median CPU per message (a failed round counts as the worst), with every round's CPU listed. */
function medianRound(results: DrainSubjectResult[]): DrainSubjectResult {
  const cpu = (result: DrainSubjectResult): number => result.cpuMsPer1k ?? Number.POSITIVE_INFINITY;
  const sorted = [...results].sort((a, b) => cpu(a) - cpu(b));
  const median = sorted[Math.floor((sorted.length - 1) / 2)];
  return results.length > 1 ? { ...median, cpuRounds: results.map((result) => result.cpuMsPer1k) } : median;
}

/** What to start for a subject: its script and its environment. */
interface SubjectLaunch {
  script: string;
  env: Record<string, string>;
}

/** Queues and exchanges one subject's run declared, deleted after it. */
interface DrainCleanup {
  queues: string[];
  exchanges: string[];
}

async function drainOne(broker: BenchBroker, name: DrainSubjectName, n: number): Promise<DrainSubjectResult> {
  const id = randomSuffix();
  const queue = `${broker.prefix}-drain-${name}-${id}`;
  const result: DrainSubjectResult = {
    subject: name,
    label: LABELS[name],
    n,
    prefetch: name === 'warren-default-budget' ? null : DRAIN_PREFETCH,
    fillRate: null,
    msgPerSec: null,
    seconds: null,
    peakRssMb: null,
    cpuMsPer1k: null,
    brokerCpuMsPer1k: null,
    remaining: null,
  };
  const cleanup: DrainCleanup = { queues: [queue], exchanges: [] };
  let subject: ReturnType<typeof startSubject> | undefined;
  try {
    const { script, env } =
      name === 'warren' || name === 'warren-default-budget'
        ? await fillForWarren(broker, name, n, { id, queue, cleanup, result })
        : await fillForDirect(broker, name, n, queue, result);
    log(`drain ${name}: filled ${n} in ${(n / (result.fillRate ?? 1)).toFixed(1)} s (${result.fillRate} msg/s)`);
    // Every subject starts on a broker that has finished writing the backlog (see waitUntilQuiet).
    const quietMs = await broker.waitUntilQuiet();
    log(`drain ${name}: broker quiet after ${quietMs ?? '?'} ms`);
    subject = startSubject({ label: `drain-${name}`, script, env: { ...env, BENCH_WARMUP: String(drainWarmup(n)) } });
    await measureDrain(broker, subject, n, result);
    if (name.startsWith('warren')) {
      result.prefetch = effectivePrefetch(subject.outputHead, DRAIN_PREFETCH);
    }
    const depth = await broker.settledDepth(queue);
    result.remaining = depth.ready + depth.unacked;
    log(
      `drain ${name}: ${result.msgPerSec} msg/s (prefetch ${result.prefetch}), ${result.cpuMsPer1k} CPU ms / 1k msgs, ${result.remaining} left, peak RSS ${result.peakRssMb} MB`,
    );
  } catch (error) {
    result.error = String(error instanceof Error ? error.message : error);
    log(`drain ${name} failed: ${result.error}`);
  } finally {
    await subject?.kill('SIGKILL').catch(() => undefined);
    for (const q of cleanup.queues) {
      await broker.deleteQueue(q);
    }
    broker.track({ exchanges: cleanup.exchanges });
  }
  return result;
}

/** A warren subject: warren declares its topology, the backlog is published to its events exchange. */
async function fillForWarren(
  broker: BenchBroker,
  name: 'warren' | 'warren-default-budget',
  n: number,
  run: { id: string; queue: string; cleanup: DrainCleanup; result: DrainSubjectResult },
): Promise<SubjectLaunch> {
  const { id, queue, cleanup, result } = run;
  const exchange = `${broker.prefix}-drain-${id}.events`;
  const config = {
    service: `${broker.prefix}-drain-${id}`,
    exchange,
    queue,
    prefetch: DRAIN_PREFETCH,
    // warren caps prefetch to maxInFlightBytes / maxMessageBytes (64 with its defaults):
    // the headline subject gets a budget that lets prefetch 100 apply, like the other two.
    maxInFlightBytes: name === 'warren' ? DRAIN_PREFETCH * WARREN_DEFAULT_MAX_MESSAGE_BYTES : undefined,
  };
  cleanup.queues.push(`${queue}.dlq`, `${exchange}.unrouted`);
  cleanup.exchanges.push(exchange, `${exchange}.unrouted`);
  await declareWarrenTopology(broker, config, `drain-${name}`);
  const fill = await broker.fill({
    exchange,
    routingKey: PATTERN,
    count: n,
    body: jsonBodyOfSize(DRAIN_MESSAGE_BYTES, (pad) => ({ orderId: 'o-1', pad })),
  });
  result.fillRate = round(fill.rate);
  return { script: builtPath('bench/subjects/nest-microservice.js'), env: { ...warrenEnv(config), BENCH_EXPECT: String(n) } };
}

/** raw amqplib or Nest's transport: a plain classic queue, the backlog published to it directly, in each one's shape. */
async function fillForDirect(
  broker: BenchBroker,
  name: 'raw' | 'nest' | 'golevelup',
  n: number,
  queue: string,
  result: DrainSubjectResult,
): Promise<SubjectLaunch> {
  await broker.declareClassicQueue(queue);
  const body =
    name === 'nest'
      ? jsonBodyOfSize(DRAIN_MESSAGE_BYTES, (pad) => ({ pattern: PATTERN, data: { orderId: 'o-1', pad } }))
      : jsonBodyOfSize(DRAIN_MESSAGE_BYTES, (pad) => ({ orderId: 'o-1', pad }));
  const fill = await broker.fill({ exchange: '', routingKey: queue, count: n, body });
  result.fillRate = round(fill.rate);
  if (name === 'golevelup') {
    return {
      script: builtPath('bench/subjects/golevelup-consumer.js'),
      env: { BENCH_QUEUE: queue, BENCH_PREFETCH: String(DRAIN_PREFETCH), BENCH_EXPECT: String(n) },
    };
  }
  if (name === 'raw') {
    return {
      script: builtPath('bench/subjects/raw-consumer.js'),
      env: { BENCH_QUEUE: queue, BENCH_PREFETCH: String(DRAIN_PREFETCH), BENCH_EXPECT: String(n) },
    };
  }
  return {
    script: builtPath('bench/subjects/nest-microservice.js'),
    env: {
      BENCH_TRANSPORT: 'nest',
      BENCH_QUEUE: queue,
      BENCH_PATTERN: PATTERN,
      BENCH_NEST_NOACK: 'false',
      BENCH_NEST_PREFETCH: String(DRAIN_PREFETCH),
      BENCH_EXPECT: String(n),
    },
  };
}

/**
 * Messages left out of the CPU figures at the start of a drain: the first tenth, where each
 * library's JIT compilation and first-use costs (and warren's prefetch window opening) fall.
 * What remains is the steady cost per message, the one a CPU-bound pod draining a backlog pays.
 */
export function drainWarmup(n: number): number {
  return Math.floor(n / 10);
}

/**
 * From `ready` to the N-th message handled: rate, and CPU per 1,000 messages (subject and broker)
 * after the warm-up (the subject reports its CPU at the warm-up mark and at the end), then the
 * subject's exit and peak RSS.
 */
async function measureDrain(broker: BenchBroker, subject: ReturnType<typeof startSubject>, n: number, result: DrainSubjectResult): Promise<void> {
  await subject.waitFor('ready', 60_000);
  const warmup = drainWarmup(n);
  const warm = await subject.waitFor('warm', 120_000 + n * 2);
  const brokerAtWarm = await broker.cpuSeconds();
  const done = await waitForDone(subject, { totalMs: 120_000 + n * 2, stallMs: 30_000 });
  const brokerAtDone = await broker.cpuSeconds();
  const measured = n - warmup;
  if (typeof warm.cpuMicros === 'number' && typeof done.cpuMicros === 'number') {
    result.cpuMsPer1k = round((done.cpuMicros - warm.cpuMicros) / measured, 1);
  }
  if (brokerAtWarm != null && brokerAtDone != null) {
    result.brokerCpuMsPer1k = round(((brokerAtDone - brokerAtWarm) * 1_000_000) / measured, 1);
  }
  const ms = Number(done.firstToLastMs);
  result.seconds = round(ms / 1000, 2);
  result.msgPerSec = round(n / (ms / 1000));
  await subject.exitOrKill(30_000);
  result.peakRssMb = subject.peakRssMb;
}

/** BENCH_DRAIN_SUBJECTS (comma-separated names) or every subject, in the default order. */
function drainSubjectsFromEnv(): DrainSubjectName[] {
  const wanted = (process.env.BENCH_DRAIN_SUBJECTS ?? '').split(',').filter(Boolean);
  return wanted.length === 0 ? DRAIN_SUBJECTS : DRAIN_SUBJECTS.filter((name) => wanted.includes(name));
}

/** A subject failed (an error, not a slow result). */
export function drainFailed(drain: DrainResult): boolean {
  return drain.subjects.some((s) => !!s.error);
}

if (isMain(import.meta.url)) {
  await runStandalone('drain', async (broker) => {
    const drain = await runDrain(broker, envInt('BENCH_DRAIN_N', 200_000));
    await writeReport({ drain, rabbitmqVersion: broker.serverVersion }, 'drain');
    return drainFailed(drain);
  });
}
