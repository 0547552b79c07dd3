/**
 * Scenario 5 — poison messages, each library with its defaults: ONE message on a queue and, for
 *   throw         a handler that always throws (a valid JSON event)
 *   invalid-json  a body that is not JSON (`{"broken"`), with a no-op handler
 * for warren (classic queue), Nest's built-in Transport.RMQ and @golevelup/nestjs-rabbitmq 9.
 * For BENCH_POISON_SECONDS (10) from `ready`: deliveries the process received (basic.deliver frames,
 * counted by bench/subjects/delivery-counter.js whether or not a handler saw them), CPU seconds of the
 * subject and of the broker, and lines the subject logged; then the subject is killed and the message
 * looked for: back in its queue, in a retry or dead-letter queue, or gone (acked, or auto-acked on delivery).
 *
 * `node bench/.build/bench/poison.js`; env BENCH_POISON_SECONDS (10), BENCH_POISON_SUBJECTS (warren,nest,golevelup).
 */
import { readFileSync } from 'node:fs';
import { BenchBroker } from './lib/broker.js';
import { Subject } from './lib/child.js';
import { writeReport } from './lib/report.js';
import type { PoisonCase, PoisonResult, PoisonRow, PoisonSubjectName } from './lib/results.js';
import { declareWarrenTopology, PATTERN, warrenEnv } from './lib/subjects.js';
import { builtPath, envInt, isMain, log, randomSuffix, round, sleep } from './lib/util.js';
import { runStandalone } from './lib/bench-run.js';

const SUBJECTS: PoisonSubjectName[] = ['warren', 'nest', 'golevelup'];
const CASES: PoisonCase[] = ['throw', 'invalid-json'];
const LABELS: Record<PoisonSubjectName, string> = {
  warren: 'warren (defaults)',
  nest: 'Nest Transport.RMQ (defaults: noAck)',
  golevelup: '@golevelup/nestjs-rabbitmq 9 (defaults)',
};
const INVALID_JSON = Buffer.from('{"broken"');

export async function runPoison(broker: BenchBroker, seconds: number, subjects: PoisonSubjectName[] = subjectsFromEnv()): Promise<PoisonResult> {
  const rows: PoisonRow[] = [];
  for (const poison of CASES) {
    for (const subject of subjects) {
      log(`poison ${poison}: ${LABELS[subject]} for ${seconds} s`);
      rows.push(await runOne(broker, subject, poison, seconds));
    }
  }
  return { seconds, rows };
}

async function runOne(broker: BenchBroker, name: PoisonSubjectName, poison: PoisonCase, seconds: number): Promise<PoisonRow> {
  const id = randomSuffix();
  const queue = `${broker.prefix}-poison-${name}-${poison}-${id}`;
  const row: PoisonRow = {
    subject: name,
    label: LABELS[name],
    case: poison,
    deliveries: null,
    handlerCalls: null,
    cpuSeconds: null,
    brokerCpuSeconds: null,
    logLines: null,
    endsIn: 'unknown',
  };
  let subject: Subject | undefined;
  try {
    const { env, script } = await prepare(broker, name, poison, queue, id);
    subject = new Subject({
      label: `poison-${poison}-${name}`,
      script,
      env,
      sampleEveryMs: 0,
      preload: builtPath('bench/subjects/delivery-counter.js'),
    });
    await subject.waitFor('ready', 60_000);
    const cpu0 = subject.cpuSeconds();
    const broker0 = await broker.cpuSeconds();
    const lines0 = lineCount(subject.logFile);
    await sleep(seconds * 1000);
    const cpu1 = subject.cpuSeconds();
    const broker1 = await broker.cpuSeconds();
    // The last status is at most a second old; the next one closes the window.
    await sleep(1100);
    row.deliveries = numberOr(subject.lastStatus?.deliveries);
    row.handlerCalls = numberOr(subject.lastStatus?.received);
    row.logLines = lineCount(subject.logFile) - lines0;
    row.cpuSeconds = cpu0 != null && cpu1 != null ? round(cpu1 - cpu0, 2) : null;
    row.brokerCpuSeconds = broker0 != null && broker1 != null ? round(broker1 - broker0, 2) : null;
    await subject.kill('SIGKILL');
    row.endsIn = await whereItIs(broker, queue);
    log(`poison ${poison} ${name}: ${row.deliveries} deliveries, ${row.cpuSeconds} CPU s, ${row.logLines} log lines, ends ${row.endsIn}`);
  } catch (error) {
    row.error = String(error instanceof Error ? error.message : error);
    log(`poison ${poison} ${name} failed: ${row.error}`);
  } finally {
    await subject?.kill('SIGKILL').catch(() => undefined);
    const left = (await broker.depthsByPrefix(queue)) ?? {};
    for (const q of Object.keys(left)) {
      await broker.deleteQueue(q);
    }
    await broker.deleteQueue(queue);
  }
  return row;
}

/** Declares the queue (warren's own topology for warren), publishes the one message, says what to start. */
async function prepare(
  broker: BenchBroker,
  name: PoisonSubjectName,
  poison: PoisonCase,
  queue: string,
  id: string,
): Promise<{ env: Record<string, string>; script: string }> {
  const handler = poison === 'throw' ? 'throw' : 'noop';
  if (name === 'warren') {
    const exchange = `${broker.prefix}-poison-${id}.events`;
    const config = { service: `${broker.prefix}-poison-${id}`, exchange, queue };
    await declareWarrenTopology(broker, config, `poison-${poison}-warren`);
    const body = poison === 'throw' ? Buffer.from(JSON.stringify({ orderId: 'o-1' })) : INVALID_JSON;
    await broker.fill({ exchange, routingKey: PATTERN, count: 1, body });
    return { env: { ...warrenEnv(config), BENCH_HANDLER: handler }, script: builtPath('bench/subjects/nest-microservice.js') };
  }
  await broker.declareClassicQueue(queue);
  const event = name === 'nest' ? { pattern: PATTERN, data: { orderId: 'o-1' } } : { orderId: 'o-1' };
  await broker.fill({ exchange: '', routingKey: queue, count: 1, body: poison === 'throw' ? Buffer.from(JSON.stringify(event)) : INVALID_JSON });
  if (name === 'nest') {
    return {
      env: { BENCH_TRANSPORT: 'nest', BENCH_QUEUE: queue, BENCH_PATTERN: PATTERN, BENCH_HANDLER: handler },
      script: builtPath('bench/subjects/nest-microservice.js'),
    };
  }
  return { env: { BENCH_QUEUE: queue, BENCH_HANDLER: handler }, script: builtPath('bench/subjects/golevelup-consumer.js') };
}

/** After the consumer is gone: the queue(s) holding the message, or "gone" when none does. */
async function whereItIs(broker: BenchBroker, queue: string): Promise<string> {
  await sleep(500);
  const depths = await broker.depthsByPrefix(queue);
  if (!depths) {
    return 'unknown (no rabbitmqctl)';
  }
  const holding = Object.entries(depths).filter(([, messages]) => messages > 0);
  if (holding.length === 0) {
    return 'gone (acked or auto-acked, not kept anywhere)';
  }
  return holding.map(([name, messages]) => `${name === queue ? 'its queue (requeued)' : name.slice(queue.length + 1)}: ${messages}`).join(', ');
}

function lineCount(file: string): number {
  try {
    return readFileSync(file, 'utf8').split('\n').filter(Boolean).length;
  } catch {
    return 0;
  }
}

function numberOr(value: unknown): number | null {
  return typeof value === 'number' ? value : null;
}

function subjectsFromEnv(): PoisonSubjectName[] {
  const wanted = (process.env.BENCH_POISON_SUBJECTS ?? '').split(',').filter(Boolean);
  return wanted.length === 0 ? SUBJECTS : SUBJECTS.filter((s) => wanted.includes(s));
}

/** A subject failed (an error, not a bad result). */
export function poisonFailed(poison: PoisonResult): boolean {
  return poison.rows.some((r) => !!r.error);
}

if (isMain(import.meta.url)) {
  await runStandalone('poison', async (broker) => {
    const poison = await runPoison(broker, envInt('BENCH_POISON_SECONDS', 10));
    await writeReport({ poison, rabbitmqVersion: broker.serverVersion }, 'poison');
    return poisonFailed(poison);
  });
}
