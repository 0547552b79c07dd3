/**
 * Scenario 3 — bounded memory under a backlog with a HUNG handler (issue 4's `bench:memory`).
 * For each backlog (A: N × 1 KB, B: 200 × 4 MB) it fills ONE queue and starts, one after another,
 * the same minimal Nest microservice (bench/subjects/nest-microservice.ts, handler returns a
 * never-settling promise) on three transports — only the transport differs:
 *   warren        warren with its defaults (classic queue for a fair compare)
 *   nest-default  Nest built-in Transport.RMQ with its defaults (noAck true, prefetchCount unset)
 *   nest-tuned    Nest built-in hand-tuned (noAck false, prefetchCount 50)
 *   golevelup-default / golevelup-tuned  @golevelup/nestjs-rabbitmq 9 with its defaults (prefetch 10) / prefetch 50
 * then the full warren demo service (src/main.js, MAILER_DELAY_MS=3600000) on a backlog of
 * order.created events published to its exchange as plain JSON.
 * Each child runs with --max-old-space-size=512; RSS is read from /proc/<pid>/status every
 * 250 ms for BENCH_MEMORY_SECONDS from spawn, then the child is SIGKILLed. After the consumer
 * connection is gone: lost = initial − remaining (ready + unacked) − dead-lettered − acked (0).
 * Between subjects the queue is refilled to the initial count.
 *
 * The queue is declared by warren (so its arguments stay warren's); the Nest subjects consume it
 * with `noAssert: true` (they skip their own declare; nothing else changes) and the messages are
 * in Nest's {pattern, data} shape, which warren accepts too, routed by key bench.event.
 *
 * `node bench/.build/bench/memory.js`; env BENCH_MEMORY_N (1000000), BENCH_MEMORY_SECONDS (60),
 * BENCH_MEMORY_LARGE_N (200), BENCH_MEMORY_LARGE_MB (4), BENCH_MEMORY_SCENARIOS (A,B),
 * BENCH_MEMORY_SUBJECTS (warren,nest-default,nest-tuned,golevelup-default,golevelup-tuned,demo).
 */
import { BenchBroker, jsonBodyOfSize } from './lib/broker.js';
import { Subject } from './lib/child.js';
import { writeReport } from './lib/report.js';
import type { MemoryResult, MemoryScenarioResult, MemorySubjectName, MemorySubjectResult } from './lib/results.js';
import { declareWarrenTopology, effectivePrefetch, PATTERN, warrenEnv, type WarrenSubjectConfig } from './lib/subjects.js';
import { DEFAULT_PREFETCH as WARREN_DEFAULT_PREFETCH } from '../src/rabbitmq/rabbitmq.constants.js';
import { builtPath, envInt, freePort, isMain, log, pollUntil, randomSuffix, round, sleep } from './lib/util.js';
import { runStandalone } from './lib/bench-run.js';

export const HEAP_LIMIT_MB = 512;
export const SAMPLE_EVERY_MS = 250;

export const MEMORY_SUBJECTS: MemorySubjectName[] = ['warren', 'nest-default', 'nest-tuned', 'golevelup-default', 'golevelup-tuned', 'demo'];

export const MEMORY_LABELS: Record<MemorySubjectName, string> = {
  warren: 'warren (defaults, classic queue)',
  'nest-default': 'Nest RMQ defaults (noAck, no prefetch)',
  'nest-tuned': 'Nest RMQ hand-tuned (ack, prefetch 50)',
  'golevelup-default': '@golevelup/nestjs-rabbitmq 9 defaults (prefetch 10)',
  'golevelup-tuned': '@golevelup/nestjs-rabbitmq 9 (prefetch 50)',
  demo: 'warren demo service (main.js)',
};

export interface MemoryOptions {
  scenarios: { id: string; count: number; messageBytes: number }[];
  seconds: number;
  subjects: MemorySubjectName[];
}

export function memoryOptionsFromEnv(defaults: { n: number; seconds: number } = { n: 1_000_000, seconds: 60 }): MemoryOptions {
  const wanted = (process.env.BENCH_MEMORY_SCENARIOS ?? 'A,B').split(',').map((s) => s.trim().toUpperCase());
  const all = [
    { id: 'A', count: envInt('BENCH_MEMORY_N', defaults.n), messageBytes: 1024 },
    { id: 'B', count: envInt('BENCH_MEMORY_LARGE_N', 200), messageBytes: envInt('BENCH_MEMORY_LARGE_MB', 4) * 1024 * 1024 },
  ];
  const subjects = (process.env.BENCH_MEMORY_SUBJECTS ?? MEMORY_SUBJECTS.join(','))
    .split(',')
    .map((s) => s.trim())
    .filter((s): s is MemorySubjectName => (MEMORY_SUBJECTS as string[]).includes(s));
  return {
    scenarios: all.filter((s) => wanted.includes(s.id)),
    seconds: envInt('BENCH_MEMORY_SECONDS', defaults.seconds),
    subjects,
  };
}

function describeSize(bytes: number): string {
  return bytes >= 1024 * 1024 ? `${round(bytes / 1024 / 1024, 1)} MB` : `${round(bytes / 1024, 1)} KB`;
}

/**
 * Over warren's default 256 KiB limit warren would dead-letter every message, so the large-message
 * scenario raises it to the next whole MiB above the message size (5 MiB for 4 MiB messages) —
 * what an operator would configure. It matters: warren caps prefetch so that
 * prefetch × maxMessageBytes fits its in-flight byte budget.
 */
function maxBytesFor(messageBytes: number): number | undefined {
  const mib = 1024 * 1024;
  const warrenDefault = 256 * 1024;
  return messageBytes > warrenDefault - 4096 ? (Math.floor(messageBytes / mib) + 1) * mib : undefined;
}

function fillWindow(messageBytes: number): number {
  return messageBytes >= 256 * 1024 ? 8 : 1000;
}

export async function runMemory(broker: BenchBroker, options: MemoryOptions): Promise<MemoryResult> {
  const scenarios: MemoryScenarioResult[] = [];
  for (const scenario of options.scenarios) {
    scenarios.push(await runScenario(broker, scenario, options));
    await broker.cleanup();
  }
  return { heapLimitMb: HEAP_LIMIT_MB, sampleEveryMs: SAMPLE_EVERY_MS, scenarios };
}

async function runScenario(
  broker: BenchBroker,
  scenario: { id: string; count: number; messageBytes: number },
  options: MemoryOptions,
): Promise<MemoryScenarioResult> {
  const result: MemoryScenarioResult = {
    id: scenario.id,
    label: `${scenario.count.toLocaleString('en-US')} × ${describeSize(scenario.messageBytes)}`,
    count: scenario.count,
    messageBytes: scenario.messageBytes,
    seconds: options.seconds,
    fillRate: null,
    subjects: [],
  };
  const minimal = options.subjects.filter((s) => s !== 'demo');
  try {
    if (minimal.length > 0) {
      await runMinimalSubjects(broker, scenario, minimal, options.seconds, result);
    }
    if (options.subjects.includes('demo')) {
      result.subjects.push(await runDemoSubject(broker, scenario, options.seconds));
    }
  } catch (error) {
    result.error = String(error instanceof Error ? error.message : error);
    log(`memory ${scenario.id} failed: ${result.error}`);
  } finally {
    await broker.cleanup();
  }
  return result;
}

/** The transport subjects one after the other on one backlog queue that warren declares, topped up before each. */
async function runMinimalSubjects(
  broker: BenchBroker,
  scenario: { id: string; count: number; messageBytes: number },
  names: Exclude<MemorySubjectName, 'demo'>[],
  seconds: number,
  result: MemoryScenarioResult,
): Promise<void> {
  const id = randomSuffix();
  const config: WarrenSubjectConfig = {
    service: `${broker.prefix}-mem${scenario.id.toLowerCase()}-${id}`,
    exchange: `${broker.prefix}-mem${scenario.id.toLowerCase()}-${id}.events`,
    queue: `${broker.prefix}-mem${scenario.id.toLowerCase()}-${id}.backlog`,
    maxMessageBytes: maxBytesFor(scenario.messageBytes),
  };
  const body = jsonBodyOfSize(scenario.messageBytes, (pad) => ({ pattern: PATTERN, data: { orderId: 'o-1', pad } }));
  log(`memory ${scenario.id} (${result.label}): declaring the backlog queue through warren`);
  await declareWarrenTopology(broker, config, `mem${scenario.id}-warren`);
  const fill = await broker.fill({
    exchange: config.exchange,
    routingKey: PATTERN,
    count: scenario.count,
    body,
    window: fillWindow(scenario.messageBytes),
  });
  result.fillRate = round(fill.rate);
  log(`memory ${scenario.id}: filled ${scenario.count} in ${fill.seconds.toFixed(1)} s`);
  for (const name of names) {
    await topUpBacklog(broker, scenario, config, body);
    result.subjects.push(await runMinimalSubject(broker, name, config, scenario, seconds));
  }
  await broker.deleteQueue(config.queue);
}

/** Gives the next subject the whole backlog again: no retry copies left over, and the messages the last one took refilled. */
async function topUpBacklog(
  broker: BenchBroker,
  scenario: { id: string; count: number; messageBytes: number },
  config: WarrenSubjectConfig,
  body: Buffer,
): Promise<void> {
  await purgeSideQueues(broker, config.queue);
  const depth = await broker.settledDepth(config.queue, 60_000);
  const current = depth.ready + depth.unacked;
  if (current < scenario.count) {
    log(`memory ${scenario.id}: refilling ${scenario.count - current} messages`);
    await broker.fill({
      exchange: config.exchange,
      routingKey: PATTERN,
      count: scenario.count - current,
      body,
      window: fillWindow(scenario.messageBytes),
    });
  }
}

interface Accounting {
  /** ready + unacked in the queue itself */
  main: number;
  /** in `<queue>.retry.*` and any other side queue warren keeps under `<queue>.` (not the DLQ) */
  retrying: number;
  deadLettered: number;
  sideQueues: string[];
  note?: string;
}

function summarize(family: Map<string, { ready: number; unacked: number }>, queue: string): Accounting {
  let main = 0;
  let retrying = 0;
  let deadLettered = 0;
  const sideQueues: string[] = [];
  for (const [name, depth] of family) {
    const count = depth.ready + depth.unacked;
    if (name === queue) {
      main = count;
    } else if (name === `${queue}.dlq`) {
      deadLettered = count;
      sideQueues.push(name);
    } else {
      retrying += count;
      sideQueues.push(name);
    }
  }
  return { main, retrying, deadLettered, sideQueues };
}

/**
 * Counts a queue and its side queues once nobody consumes it: two identical rabbitmqctl
 * listings in a row (retry copies flow back into the queue when their TTL expires, so the
 * counts are only trusted when they stand still). Without rabbitmqctl: the queue and its DLQ
 * by passive declare.
 */
async function account(broker: BenchBroker, queue: string, timeoutMs = 90_000): Promise<Accounting> {
  await pollUntil(async () => ((await broker.check(queue)).consumers === 0 ? true : undefined), {
    timeoutMs: 30_000,
    what: `no consumer left on ${queue}`,
  });
  const deadline = Date.now() + timeoutMs;
  let previous: string | undefined;
  for (;;) {
    const family = await broker.family(queue);
    if (!family) {
      const main = await broker.settledDepth(queue, timeoutMs);
      const dlq = await broker.check(`${queue}.dlq`).catch(() => ({ ready: 0 }));
      return {
        main: main.ready + main.unacked,
        retrying: 0,
        deadLettered: dlq.ready,
        sideQueues: [],
        note: 'no rabbitmqctl: retry queues not counted',
      };
    }
    const key = JSON.stringify([...family.entries()].map(([name, d]) => [name, d.ready + d.unacked]).sort());
    if (key === previous) {
      return summarize(family, queue);
    }
    if (Date.now() > deadline) {
      return { ...summarize(family, queue), note: `counts still moving after ${timeoutMs} ms` };
    }
    previous = key;
    await sleep(500);
  }
}

/** Empties a queue's side queues (DLQ, retry tiers) so the next subject starts from nothing there. */
async function purgeSideQueues(broker: BenchBroker, queue: string): Promise<void> {
  const family = await broker.family(queue);
  for (const name of family?.keys() ?? [`${queue}.dlq`]) {
    if (name !== queue) {
      await broker.purgeQueue(name);
    }
  }
}

function emptyResult(name: MemorySubjectName, initial: number): MemorySubjectResult {
  return {
    subject: name,
    label: MEMORY_LABELS[name],
    prefetch: null,
    initial,
    peakRssMb: null,
    endRssMb: null,
    crashed: false,
    heapOutOfMemory: false,
    exit: null,
    crashAtSeconds: null,
    readyAtSeconds: null,
    handlerCalls: null,
    remaining: null,
    retrying: null,
    deadLettered: null,
    acked: 0,
    lost: null,
    samples: [],
    notes: [],
  };
}

/**
 * Runs the subject for `seconds` from spawn (or until it dies), then SIGKILLs it and records
 * RSS, the crash and the samples.
 */
async function observe(subject: Subject, result: MemorySubjectResult, seconds: number): Promise<void> {
  try {
    const ready = await subject.waitFor('ready', Math.min(60_000, seconds * 1000));
    void ready;
    result.readyAtSeconds = round(subject.elapsedMs() / 1000, 2);
  } catch (error) {
    if (!subject.exit) {
      result.notes.push(`not ready: ${String(error instanceof Error ? error.message : error).slice(0, 200)}`);
    }
  }
  const remainingMs = seconds * 1000 - subject.elapsedMs();
  if (remainingMs > 0) {
    await Promise.race([subject.exited, sleep(remainingMs)]);
  }
  result.handlerCalls = subject.lastStatus ? Number(subject.lastStatus.received ?? 0) : null;
  const crashed = await stopAndRecord(subject, result);
  if (crashed) {
    result.notes.push(
      `exited by itself after ${result.crashAtSeconds} s (${result.exit})${subject.heapOutOfMemory ? ': JavaScript heap out of memory' : ''}`,
    );
    if (!subject.heapOutOfMemory) {
      result.notes.push(`stderr: ${subject.stderrTail.slice(-300).replace(/\s+/g, ' ')}`);
    }
  }
}

/** The window of the subjects that do not cap their prefetch (null = unbounded). */
const FIXED_PREFETCH: Partial<Record<MemorySubjectName, number>> = { 'nest-tuned': 50, 'golevelup-default': 10, 'golevelup-tuned': 50 };

/** Script and environment of a minimal subject: the shared Nest microservice (warren or Nest) or the golevelup consumer. */
function minimalSubjectLaunch(
  name: Exclude<MemorySubjectName, 'demo'>,
  config: WarrenSubjectConfig,
): { script: string; env: Record<string, string> } {
  const golevelup = name === 'golevelup-default' || name === 'golevelup-tuned';
  const env: Record<string, string> =
    name === 'warren'
      ? { ...warrenEnv(config), BENCH_HANDLER: 'hung' }
      : golevelup
        ? {
            BENCH_QUEUE: config.queue,
            BENCH_HANDLER: 'hung',
            BENCH_NO_ASSERT: 'true',
            ...(name === 'golevelup-tuned' ? { BENCH_PREFETCH: '50' } : {}),
          }
        : {
            BENCH_TRANSPORT: 'nest',
            BENCH_QUEUE: config.queue,
            BENCH_PATTERN: PATTERN,
            BENCH_HANDLER: 'hung',
            BENCH_NEST_NO_ASSERT: 'true',
            ...(name === 'nest-tuned' ? { BENCH_NEST_NOACK: 'false', BENCH_NEST_PREFETCH: '50' } : {}),
          };
  return { script: builtPath(golevelup ? 'bench/subjects/golevelup-consumer.js' : 'bench/subjects/nest-microservice.js'), env };
}

async function runMinimalSubject(
  broker: BenchBroker,
  name: Exclude<MemorySubjectName, 'demo'>,
  config: WarrenSubjectConfig,
  scenario: { id: string; count: number; messageBytes: number },
  seconds: number,
): Promise<MemorySubjectResult> {
  const before = await account(broker, config.queue);
  const initial = before.main + before.retrying + before.deadLettered;
  const result = emptyResult(name, initial);
  if (name === 'warren' && config.maxMessageBytes) {
    result.notes.push(`maxMessageBytes raised to ${describeSize(config.maxMessageBytes)} (the 256 KB default would dead-letter every message)`);
  }
  const { script, env } = minimalSubjectLaunch(name, config);
  log(`memory ${scenario.id}: ${MEMORY_LABELS[name]} on ${initial} messages for ${seconds} s`);
  const subject = new Subject({
    label: `mem${scenario.id}-${name}`,
    script,
    env,
    maxOldSpaceMb: HEAP_LIMIT_MB,
    sampleEveryMs: SAMPLE_EVERY_MS,
  });
  try {
    await observe(subject, result, seconds);
    result.prefetch =
      name === 'warren' ? effectivePrefetch(subject.outputHead, WARREN_DEFAULT_PREFETCH, config.queue) : (FIXED_PREFETCH[name] ?? null);
    const after = await account(broker, config.queue);
    result.remaining = after.main;
    result.retrying = after.retrying;
    result.deadLettered = after.deadLettered;
    result.lost = initial - after.main - after.retrying - after.deadLettered - result.acked;
    if (after.note) {
      result.notes.push(after.note);
    }
  } catch (error) {
    result.error = String(error instanceof Error ? error.message : error);
    log(`memory ${scenario.id} ${name} failed: ${result.error}`);
  } finally {
    await subject.kill('SIGKILL').catch(() => undefined);
  }
  log(
    `memory ${scenario.id} ${name}: peak ${result.peakRssMb} MB, end ${result.endRssMb} MB, crashed ${result.crashed}, lost ${result.lost}, handler calls ${result.handlerCalls}`,
  );
  return result;
}

function demoEnv(service: string, port: number, messageBytes: number): Record<string, string> {
  const maxBytes = maxBytesFor(messageBytes);
  return {
    PORT: String(port),
    AMQP_URL: process.env.AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672',
    SERVICE_NAME: service,
    EVENTS_EXCHANGE: `${service}.events`,
    QUEUE_TYPE: process.env.BENCH_DEMO_QUEUE_TYPE ?? 'classic',
    MAILER_DELAY_MS: '3600000',
    ...(maxBytes ? { MAX_MESSAGE_BYTES: String(maxBytes) } : {}),
  };
}

/** The demo service's names for one scenario: its events exchange and the queues it declares. */
interface DemoNames {
  service: string;
  exchange: string;
  notifications: string;
  inventory: string;
  unrouted: string;
}

/** Depths of the demo's queues: the notifications handler's, the inventory handler's, and unrouted messages. */
interface DemoDepths {
  notifications: Accounting;
  inventory: Accounting;
  unrouted: number;
}

async function runDemoSubject(
  broker: BenchBroker,
  scenario: { id: string; count: number; messageBytes: number },
  seconds: number,
): Promise<MemorySubjectResult> {
  const names = demoNames(broker, scenario.id);
  const result = emptyResult('demo', scenario.count);
  if (maxBytesFor(scenario.messageBytes)) {
    result.notes.push(`MAX_MESSAGE_BYTES raised to ${describeSize(maxBytesFor(scenario.messageBytes) ?? 0)}`);
  }
  result.notes.push('QUEUE_TYPE=' + (process.env.BENCH_DEMO_QUEUE_TYPE ?? 'classic'));
  let subject: Subject | undefined;
  try {
    await declareDemoTopology(broker, scenario, names);
    await fillDemoBacklog(broker, scenario, names);
    const before = await demoDepths(broker, names);
    result.initial = before.notifications.main + before.notifications.retrying + before.notifications.deadLettered;
    // 3. The measured run.
    log(`memory ${scenario.id}: demo service (MAILER_DELAY_MS=3600000) for ${seconds} s`);
    subject = new Subject({
      label: `mem${scenario.id}-demo`,
      script: builtPath('src/main.js'),
      env: demoEnv(names.service, await freePort(), scenario.messageBytes),
      maxOldSpaceMb: HEAP_LIMIT_MB,
      sampleEveryMs: SAMPLE_EVERY_MS,
    });
    await runDemoCourse(broker, subject, names, seconds, result);
    // 4. Accounting once its connections are gone.
    recordDemoAccounting(result, before, await demoDepths(broker, names));
  } catch (error) {
    result.error = String(error instanceof Error ? error.message : error);
    log(`memory ${scenario.id} demo failed: ${result.error}`);
  } finally {
    await subject?.kill('SIGKILL').catch(() => undefined);
  }
  log(
    `memory ${scenario.id} demo: peak ${result.peakRssMb} MB, end ${result.endRssMb} MB, crashed ${result.crashed}, lost ${result.lost}, inventory ${JSON.stringify(result.inventory)}`,
  );
  return result;
}

/** Names one demo service's topology after a fresh service name, and has the broker delete it all afterwards. */
function demoNames(broker: BenchBroker, scenarioId: string): DemoNames {
  const service = `${broker.prefix}-memdemo${scenarioId.toLowerCase()}-${randomSuffix()}`;
  const exchange = `${service}.events`;
  const notifications = `${service}.notifications.order-created`;
  const inventory = `${service}.inventory.order-created`;
  const unrouted = `${exchange}.unrouted`;
  broker.track({
    queues: [
      notifications,
      `${notifications}.dlq`,
      inventory,
      `${inventory}.dlq`,
      `${service}.notifications.user-registered`,
      `${service}.notifications.user-registered.dlq`,
      unrouted,
    ],
    exchanges: [exchange, unrouted],
  });
  return { service, exchange, notifications, inventory, unrouted };
}

/** 1. Lets the service declare its topology, then stops it (graceful, nothing is queued yet). */
async function declareDemoTopology(broker: BenchBroker, scenario: { id: string; messageBytes: number }, names: DemoNames): Promise<void> {
  log(`memory ${scenario.id}: demo service declares its queues`);
  const declare = new Subject({
    label: `mem${scenario.id}-demo-declare`,
    script: builtPath('src/main.js'),
    env: demoEnv(names.service, await freePort(), scenario.messageBytes),
    sampleEveryMs: 0,
  });
  try {
    await pollUntil(
      async () => {
        if (declare.exit) {
          throw new Error(`demo exited during declare: ${declare.stderrTail.slice(-400)}`);
        }
        const [n, i] = await Promise.all([broker.check(names.notifications), broker.check(names.inventory)]);
        return n.consumers > 0 && i.consumers > 0 ? true : undefined;
      },
      { timeoutMs: 60_000, intervalMs: 500, what: 'demo service consuming' },
    );
  } finally {
    await declare.kill('SIGTERM', 20_000).catch(() => undefined);
  }
}

/**
 * 2. Backlog: order.created events as plain JSON on its exchange (both handlers' queues get them).
 * Unique order ids, as a real backlog has (the inventory handler remembers each one).
 */
async function fillDemoBacklog(broker: BenchBroker, scenario: { id: string; count: number; messageBytes: number }, names: DemoNames): Promise<void> {
  const template = jsonBodyOfSize(scenario.messageBytes, (pad) => ({
    orderId: '00000000-0000-4000-8000-000000000000',
    customerId: 'c1',
    items: [{ sku: 'a', quantity: 1 }],
    createdAt: new Date().toISOString(),
    note: pad,
  }));
  const idAt = template.indexOf('00000000-0000-4000-8000-000000000000');
  const body = (i: number): Buffer => {
    const copy = Buffer.from(template);
    copy.write(String(i).padStart(12, '0'), idAt + 24, 'latin1');
    return copy;
  };
  await broker.settledDepth(names.notifications, 30_000);
  const fill = await broker.fill({
    exchange: names.exchange,
    routingKey: 'order.created',
    count: scenario.count,
    body,
    window: fillWindow(scenario.messageBytes),
  });
  log(`memory ${scenario.id}: demo backlog of ${scenario.count} filled in ${fill.seconds.toFixed(1)} s`);
}

/** The demo's queues, one after the other, as the accounting before and after the run reads them. */
async function demoDepths(broker: BenchBroker, names: DemoNames): Promise<DemoDepths> {
  const notifications = await account(broker, names.notifications);
  const inventory = await account(broker, names.inventory);
  const unrouted = (await broker.check(names.unrouted)).ready;
  return { notifications, inventory, unrouted };
}

/** 3. The measured run: the service consumes for `seconds` (or until it dies), then it is stopped and recorded. */
async function runDemoCourse(broker: BenchBroker, subject: Subject, names: DemoNames, seconds: number, result: MemorySubjectResult): Promise<void> {
  // main.js does not speak IPC: wait for its consumers instead of a `ready` message.
  const readyWatch = pollUntil(
    async () => {
      const n = await broker.check(names.notifications);
      return n.consumers > 0 ? true : undefined;
    },
    { timeoutMs: Math.min(60_000, seconds * 1000), intervalMs: 250, what: 'demo consuming' },
  )
    .then(() => (result.readyAtSeconds = round((subject?.elapsedMs() ?? 0) / 1000, 2)))
    .catch(() => undefined);
  const remainingMs = seconds * 1000 - subject.elapsedMs();
  await Promise.race([subject.exited, sleep(Math.max(0, remainingMs))]);
  await readyWatch;
  const crashed = await stopAndRecord(subject, result);
  result.prefetch = effectivePrefetch(subject.outputHead, WARREN_DEFAULT_PREFETCH, names.notifications);
  if (crashed) {
    result.notes.push(`exited by itself after ${result.crashAtSeconds} s (${result.exit})`);
  }
}

/** 4. What became of the backlog: the notifications queue's messages and the inventory handler's (with its follow-ups). */
function recordDemoAccounting(result: MemorySubjectResult, before: DemoDepths, after: DemoDepths): void {
  const n1 = after.notifications;
  const i0 = before.inventory;
  const i1 = after.inventory;
  result.remaining = n1.main;
  result.retrying = n1.retrying;
  result.deadLettered = n1.deadLettered;
  result.lost = result.initial - n1.main - n1.retrying - n1.deadLettered - result.acked;
  if (n1.note) {
    result.notes.push(n1.note);
  }
  const iInitial = i0.main + i0.retrying + i0.deadLettered;
  const followUps = after.unrouted - before.unrouted;
  result.inventory = {
    initial: iInitial,
    remaining: i1.main,
    retrying: i1.retrying,
    deadLettered: i1.deadLettered,
    followUps,
    unaccounted: iInitial - i1.main - i1.retrying - i1.deadLettered - followUps,
  };
}

/**
 * Ends a subject that ran its course (or died): did it exit on its own before the harness
 * killed it, how, and its RSS samples. Shared by the transport subjects and the demo service.
 */
async function stopAndRecord(subject: Subject, result: MemorySubjectResult): Promise<boolean> {
  const crashed = subject.exit !== undefined && !subject.exit.killedByHarness;
  subject.stopSampling();
  const exit = await subject.kill('SIGKILL');
  result.crashed = crashed;
  result.heapOutOfMemory = subject.heapOutOfMemory;
  result.exit = exit.signal ? `signal ${exit.signal}` : `code ${exit.code}`;
  result.crashAtSeconds = crashed ? round(exit.atMs / 1000, 2) : null;
  result.samples = subject.samples;
  result.peakRssMb = subject.peakRssMb;
  result.endRssMb = subject.lastRssMb;
  return crashed;
}

/** A scenario or a subject failed (an error; a crash of a Nest subject is a result, not a failure). */
export function memoryFailed(memory: MemoryResult): boolean {
  return memory.scenarios.some((s) => !!s.error || s.subjects.some((x) => !!x.error));
}

if (isMain(import.meta.url)) {
  await runStandalone('memory', async (broker) => {
    const memory = await runMemory(broker, memoryOptionsFromEnv());
    await writeReport({ memory, rabbitmqVersion: broker.serverVersion }, 'memory');
    return memoryFailed(memory);
  });
}
