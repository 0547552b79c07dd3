/**
 * Drain: a backlog of N × 1 KB persistent messages on a classic queue, a no-op handler, prefetch 100, each subject
 * on its own freshly filled queue, as a child process started once the broker is quiet after the fill:
 *   raw        raw amqplib, manual ack
 *   nest       Nest's built-in Transport.RMQ, noAck:false, prefetchCount 100, the handler acks; Nest's {pattern, data}
 *   golevelup  @golevelup/nestjs-rabbitmq 9, `@RabbitSubscribe`, prefetchCount 100
 *   warren     `@HandleEvent` with prefetch 100 and its byte budget raised to 100 × maxMessageBytes so 100 applies
 * The headline is CPU per 1,000 messages of the subject (user + system of all its threads) from the end of the
 * warm-up (the first tenth: JIT and first-use costs) to the N-th message. Subjects take turns for BENCH_DRAIN_ROUNDS
 * rounds (Nest in the first only) so a slow minute of the shared machine hits each; a row is its median round.
 */
import { type BenchBroker, jsonBodyOfSize } from './lib/broker.js';
import { Subject } from './lib/child.js';
import type { DrainResult, DrainRow, DrainSubjectName } from './lib/results.js';
import {
  declareWarrenTopology,
  effectivePrefetch,
  GOLEVELUP_CONSUMER,
  MICROSERVICE,
  PATTERN,
  RAW_CONSUMER,
  waitForDone,
  warrenConfig,
  warrenEnv,
} from './lib/subjects.js';
import { envList, errorText, log, randomSuffix, round } from './lib/util.js';

const PREFETCH = 100;
/** warren's default maxMessageBytes (256 KiB): its prefetch cap is maxInFlightBytes / this */
const WARREN_MAX_MESSAGE_BYTES = 256 * 1024;
const BODY = jsonBodyOfSize(1024, (pad) => ({ orderId: 'o-1', pad }));
const NEST_BODY = jsonBodyOfSize(1024, (pad) => ({ pattern: PATTERN, data: { orderId: 'o-1', pad } }));
const SUBJECTS: DrainSubjectName[] = ['raw', 'nest', 'golevelup', 'warren'];

export async function runDrain(broker: BenchBroker, n: number, rounds: number): Promise<DrainResult> {
  const subjects = envList('BENCH_DRAIN_SUBJECTS', SUBJECTS);
  const runs = new Map<DrainSubjectName, DrainRow[]>(subjects.map((name) => [name, []]));
  for (let r = 1; r <= rounds; r++) {
    for (const name of subjects.filter((s) => r === 1 || s !== 'nest')) {
      log(`drain: ${name}, N=${n}, round ${r} of ${rounds}`);
      runs.get(name)!.push(await drainOne(broker, name, n));
    }
  }
  return { n, rounds, rows: subjects.map((name) => medianRound(runs.get(name)!)) };
}

/** The round with the median CPU per message (a failed round counts as the worst), with every round's CPU listed. */
function medianRound(rows: DrainRow[]): DrainRow {
  const sorted = [...rows].sort((a, b) => (a.cpuMsPer1k ?? Infinity) - (b.cpuMsPer1k ?? Infinity));
  return { ...sorted[Math.floor((sorted.length - 1) / 2)], cpuRounds: rows.map((row) => row.cpuMsPer1k) };
}

async function drainOne(broker: BenchBroker, name: DrainSubjectName, n: number): Promise<DrainRow> {
  const row: DrainRow = {
    subject: name,
    cpuMsPer1k: null,
    cpuRounds: [],
    brokerCpuMsPer1k: null,
    msgPerSec: null,
    prefetch: PREFETCH,
    peakRssMb: null,
    remaining: null,
  };
  const part = `drain-${name}-${randomSuffix()}`;
  let queue = `${broker.prefix}-${part}`;
  let subject: Subject | undefined;
  try {
    let env: Record<string, string>;
    let script = MICROSERVICE;
    if (name === 'warren') {
      const config = warrenConfig(broker, part, { prefetch: PREFETCH, maxInFlightBytes: PREFETCH * WARREN_MAX_MESSAGE_BYTES });
      queue = config.queue;
      await declareWarrenTopology(broker, config, 'drain-warren');
      await broker.fill(config.exchange, PATTERN, n, () => BODY);
      env = warrenEnv(config);
    } else {
      await broker.declareClassicQueue(queue);
      await broker.fill('', queue, n, () => (name === 'nest' ? NEST_BODY : BODY));
      env = { BENCH_QUEUE: queue, BENCH_PREFETCH: String(PREFETCH) };
      if (name === 'nest') {
        env = { ...env, BENCH_TRANSPORT: 'nest', BENCH_PATTERN: PATTERN, BENCH_NEST_NOACK: 'false', BENCH_NEST_PREFETCH: String(PREFETCH) };
      } else {
        script = name === 'raw' ? RAW_CONSUMER : GOLEVELUP_CONSUMER;
      }
    }
    await broker.waitUntilQuiet();
    const warmup = Math.floor(n / 10);
    subject = new Subject({ label: `drain-${name}`, script, env: { ...env, BENCH_EXPECT: String(n), BENCH_WARMUP: String(warmup) } });
    await subject.waitFor('ready', 60_000);
    const warm = await subject.waitFor('warm', 120_000 + n * 2);
    const brokerAtWarm = await broker.cpuSeconds();
    const done = await waitForDone(subject, 120_000 + n * 2);
    const brokerAtDone = await broker.cpuSeconds();
    row.cpuMsPer1k = round((Number(done.cpuMicros) - Number(warm.cpuMicros)) / (n - warmup), 1);
    row.brokerCpuMsPer1k = brokerAtWarm != null && brokerAtDone != null ? round(((brokerAtDone - brokerAtWarm) * 1e6) / (n - warmup), 1) : null;
    row.msgPerSec = round(n / (Number(done.firstToLastMs) / 1000));
    await subject.exitOrKill(30_000);
    row.peakRssMb = subject.peakRssMb;
    row.prefetch = name === 'warren' ? effectivePrefetch(subject.outputHead, PREFETCH) : PREFETCH;
    row.remaining = await broker.settledDepth(queue);
    log(`drain ${name}: ${row.cpuMsPer1k} CPU ms / 1k msgs, ${row.msgPerSec} msg/s, ${row.remaining} left, peak RSS ${row.peakRssMb} MB`);
  } catch (error) {
    row.error = errorText(error);
    log(`drain ${name} failed: ${row.error}`);
  } finally {
    await subject?.kill('SIGKILL').catch(() => undefined);
    await broker.cleanup();
  }
  return row;
}
