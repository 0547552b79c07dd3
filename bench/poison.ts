/**
 * Poison: ONE message on a queue, each library with its defaults (warren, Nest's Transport.RMQ, golevelup), for
 *   throw         a valid JSON event and a handler that always throws
 *   invalid-json  a body that is not JSON (`{"broken"`) and a no-op handler
 * For BENCH_POISON_SECONDS from `ready`: deliveries the process received (basic.deliver frames counted inside amqplib
 * by subjects/delivery-counter.ts, whether a handler saw them or not), CPU of the subject and of the broker, log
 * lines; then the subject is killed and the message looked for: in its queue, a retry or dead-letter queue, or gone.
 */
import { readFileSync } from 'node:fs';
import type { BenchBroker } from './lib/broker.js';
import { Subject } from './lib/child.js';
import type { PoisonCase, PoisonResult, PoisonRow, PoisonSubjectName } from './lib/results.js';
import { declareWarrenTopology, GOLEVELUP_CONSUMER, MICROSERVICE, PATTERN, warrenConfig, warrenEnv } from './lib/subjects.js';
import { builtPath, envList, errorText, log, randomSuffix, round, sleep } from './lib/util.js';

const SUBJECTS: PoisonSubjectName[] = ['warren', 'nest', 'golevelup'];
const CASES: PoisonCase[] = ['throw', 'invalid-json'];
const INVALID_JSON = Buffer.from('{"broken"');

export async function runPoison(broker: BenchBroker, seconds: number): Promise<PoisonResult> {
  const rows: PoisonRow[] = [];
  for (const poison of CASES) {
    for (const subject of envList('BENCH_POISON_SUBJECTS', SUBJECTS)) {
      log(`poison ${poison}: ${subject} for ${seconds} s`);
      rows.push(await runOne(broker, subject, poison, seconds));
    }
  }
  return { seconds, rows };
}

async function runOne(broker: BenchBroker, name: PoisonSubjectName, poison: PoisonCase, seconds: number): Promise<PoisonRow> {
  const row: PoisonRow = {
    subject: name,
    case: poison,
    deliveries: null,
    cpuSeconds: null,
    brokerCpuSeconds: null,
    logLines: null,
    endsIn: 'unknown',
  };
  let subject: Subject | undefined;
  try {
    const { env, script, queue } = await prepare(broker, name, poison);
    const preload = builtPath('bench/subjects/delivery-counter.js');
    subject = new Subject({ label: `poison-${poison}-${name}`, script, env, preload });
    await subject.waitFor('ready', 60_000);
    const [cpu0, broker0, lines0] = [subject.cpuSeconds(), await broker.cpuSeconds(), lineCount(subject.logFile)];
    await sleep(seconds * 1000);
    const [cpu1, broker1] = [subject.cpuSeconds(), await broker.cpuSeconds()];
    await sleep(1100); // the next status message closes the window
    row.deliveries = typeof subject.lastStatus?.deliveries === 'number' ? subject.lastStatus.deliveries : null;
    row.logLines = lineCount(subject.logFile) - lines0;
    row.cpuSeconds = cpu0 != null && cpu1 != null ? round(cpu1 - cpu0, 2) : null;
    row.brokerCpuSeconds = broker0 != null && broker1 != null ? round(broker1 - broker0, 2) : null;
    await subject.kill('SIGKILL');
    await sleep(500);
    row.endsIn = whereItIs(await broker.depths(queue), queue);
    log(`poison ${poison} ${name}: ${row.deliveries} deliveries, ${row.cpuSeconds} CPU s, ${row.logLines} log lines, ends ${row.endsIn}`);
  } catch (error) {
    row.error = errorText(error);
    log(`poison ${poison} ${name} failed: ${row.error}`);
  } finally {
    await subject?.kill('SIGKILL').catch(() => undefined);
    await broker.cleanup();
  }
  return row;
}

/** Declares the queue (warren's own topology for warren), publishes the one message, says what to start. */
async function prepare(
  broker: BenchBroker,
  name: PoisonSubjectName,
  poison: PoisonCase,
): Promise<{ env: Record<string, string>; script: string; queue: string }> {
  const handler = { BENCH_HANDLER: poison === 'throw' ? 'throw' : 'noop' };
  const part = `poison-${name}-${poison}-${randomSuffix()}`;
  const event = name === 'nest' ? { pattern: PATTERN, data: { orderId: 'o-1' } } : { orderId: 'o-1' };
  const body = poison === 'throw' ? Buffer.from(JSON.stringify(event)) : INVALID_JSON;
  if (name === 'warren') {
    const config = warrenConfig(broker, part);
    await declareWarrenTopology(broker, config, `poison-${poison}-warren`);
    await broker.fill(config.exchange, PATTERN, 1, () => body);
    return { env: { ...warrenEnv(config), ...handler }, script: MICROSERVICE, queue: config.queue };
  }
  const queue = `${broker.prefix}-${part}`;
  await broker.declareClassicQueue(queue);
  await broker.fill('', queue, 1, () => body);
  if (name === 'nest') {
    return { env: { BENCH_TRANSPORT: 'nest', BENCH_QUEUE: queue, BENCH_PATTERN: PATTERN, ...handler }, script: MICROSERVICE, queue };
  }
  return { env: { BENCH_QUEUE: queue, ...handler }, script: GOLEVELUP_CONSUMER, queue };
}

/** The queue(s) holding the message once the consumer is gone, or "gone" when none does. */
function whereItIs(depths: Map<string, number>, queue: string): string {
  const holding = [...depths].filter(([, messages]) => messages > 0);
  if (holding.length === 0) {
    return 'gone (acked or auto-acked, kept nowhere)';
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
