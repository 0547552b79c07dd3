/**
 * Memory: a backlog and a HUNG handler (its promise never settles), each subject for BENCH_MEMORY_SECONDS with
 * `--max-old-space-size=512`, RSS read from /proc every 250 ms, then SIGKILLed. The same minimal microservice, only the
 * transport differs:
 *   warren             defaults (classic queue)
 *   nest-default       Nest's Transport.RMQ defaults (noAck, no prefetch)
 *   nest-tuned         Nest hand-tuned (noAck:false, prefetch 50)
 *   golevelup-default  @golevelup/nestjs-rabbitmq 9 defaults (prefetch 10); golevelup-tuned: prefetch 50
 * Backlogs: A = BENCH_MEMORY_N × 1 KB, B = BENCH_MEMORY_LARGE_N × 4 MB. warren declares the queue (its arguments stay
 * its own); the others consume it with noAssert; messages are in Nest's {pattern, data} shape, which warren accepts.
 * Before each subject the queue is topped up to the backlog. Once the subject's connection is gone:
 * lost = initial − in the queue − in warren's retry queues − dead-lettered (nothing is acked: the handler hangs).
 */
import { type BenchBroker, jsonBodyOfSize } from './lib/broker.js';
import { Subject } from './lib/child.js';
import type { MemoryResult, MemoryRow, MemoryScenario, MemorySubjectName } from './lib/results.js';
import {
  declareWarrenTopology,
  GOLEVELUP_CONSUMER,
  MICROSERVICE,
  PATTERN,
  warrenConfig,
  warrenEnv,
  type WarrenSubjectConfig,
} from './lib/subjects.js';
import { envInt, envList, errorText, log, pollUntil, round, sleep } from './lib/util.js';

const HEAP_LIMIT_MB = 512;
const SUBJECTS: MemorySubjectName[] = ['warren', 'nest-default', 'nest-tuned', 'golevelup-default', 'golevelup-tuned'];
const MIB = 1024 * 1024;

export async function runMemory(broker: BenchBroker, n: number, seconds: number): Promise<MemoryResult> {
  const all = [
    { id: 'A', count: n, messageBytes: 1024 },
    { id: 'B', count: envInt('BENCH_MEMORY_LARGE_N', 200), messageBytes: 4 * MIB },
  ];
  const wanted: string[] = envList('BENCH_MEMORY_SCENARIOS', ['A', 'B']);
  const scenarios: MemoryScenario[] = [];
  for (const scenario of all.filter((s) => wanted.includes(s.id))) {
    scenarios.push(await runScenario(broker, scenario, seconds));
  }
  return { seconds, heapLimitMb: HEAP_LIMIT_MB, scenarios };
}

async function runScenario(
  broker: BenchBroker,
  scenario: { id: string; count: number; messageBytes: number },
  seconds: number,
): Promise<MemoryScenario> {
  const size = scenario.messageBytes >= MIB ? `${scenario.messageBytes / MIB} MB` : `${scenario.messageBytes / 1024} KB`;
  const result: MemoryScenario = {
    label: `${scenario.count.toLocaleString('en-US')} × ${size}`,
    count: scenario.count,
    messageBytes: scenario.messageBytes,
    rows: [],
  };
  // Over warren's 256 KiB default every 4 MB message would be dead-lettered: raised to the next MiB, as an operator would.
  const maxMessageBytes = scenario.messageBytes > 256 * 1024 ? (Math.floor(scenario.messageBytes / MIB) + 1) * MIB : undefined;
  const config = warrenConfig(broker, `mem${scenario.id.toLowerCase()}`, { maxMessageBytes });
  const body = jsonBodyOfSize(scenario.messageBytes, (pad) => ({ pattern: PATTERN, data: { orderId: 'o-1', pad } }));
  const window = scenario.messageBytes >= 256 * 1024 ? 8 : 1000;
  try {
    await declareWarrenTopology(broker, config, `mem${scenario.id}`);
    for (const name of envList('BENCH_MEMORY_SUBJECTS', SUBJECTS)) {
      // top up: no retry copies or dead letters left from the last subject, the backlog whole again
      for (const side of (await broker.depths(`${config.queue}.`)).keys()) {
        await broker.purgeQueue(side);
      }
      const missing = scenario.count - (await broker.settledDepth(config.queue, 120_000));
      log(`memory ${scenario.id}: ${name}, refilling ${missing}`);
      await broker.fill(config.exchange, PATTERN, missing, () => body, window);
      result.rows.push(await runSubject(broker, name, config, scenario, seconds));
    }
  } catch (error) {
    result.error = errorText(error);
    log(`memory ${scenario.id} failed: ${result.error}`);
  } finally {
    await broker.cleanup();
  }
  return result;
}

function launch(name: MemorySubjectName, config: WarrenSubjectConfig): { script: string; env: Record<string, string> } {
  const hung = { BENCH_QUEUE: config.queue, BENCH_HANDLER: 'hung' };
  switch (name) {
    case 'warren':
      return { script: MICROSERVICE, env: { ...warrenEnv(config), BENCH_HANDLER: 'hung' } };
    case 'nest-default':
    case 'nest-tuned': {
      const tuned: Record<string, string> = name === 'nest-tuned' ? { BENCH_NEST_NOACK: 'false', BENCH_NEST_PREFETCH: '50' } : {};
      return { script: MICROSERVICE, env: { ...hung, BENCH_TRANSPORT: 'nest', BENCH_PATTERN: PATTERN, BENCH_NEST_NO_ASSERT: 'true', ...tuned } };
    }
    default:
      return {
        script: GOLEVELUP_CONSUMER,
        env: { ...hung, BENCH_NO_ASSERT: 'true', ...(name === 'golevelup-tuned' ? { BENCH_PREFETCH: '50' } : {}) },
      };
  }
}

async function runSubject(
  broker: BenchBroker,
  name: MemorySubjectName,
  config: WarrenSubjectConfig,
  scenario: { id: string; count: number },
  seconds: number,
): Promise<MemoryRow> {
  const row: MemoryRow = {
    subject: name,
    initial: scenario.count,
    peakRssMb: null,
    crashed: null,
    handlerCalls: null,
    remaining: null,
    retrying: null,
    deadLettered: null,
    lost: null,
  };
  const subject = new Subject({ label: `mem${scenario.id}-${name}`, ...launch(name, config), maxOldSpaceMb: HEAP_LIMIT_MB });
  try {
    await Promise.race([subject.exited, sleep(seconds * 1000)]);
    if (subject.exit && !subject.exit.killedByHarness) {
      row.crashed = `after ${round(subject.exit.atMs / 1000, 1)} s${subject.heapOutOfMemory ? ', heap out of memory' : ` (${subject.exit.code ?? subject.exit.signal})`}`;
    }
    row.handlerCalls = subject.lastStatus ? Number(subject.lastStatus.received ?? 0) : null;
    await subject.kill('SIGKILL');
    row.peakRssMb = subject.peakRssMb;
    await pollUntil(async () => (await broker.check(config.queue)).consumers === 0, 60_000, `no consumer left on ${config.queue}`);
    const family = await stableDepths(broker, config.queue);
    row.remaining = family.get(config.queue) ?? 0;
    row.deadLettered = family.get(`${config.queue}.dlq`) ?? 0;
    row.retrying = [...family.values()].reduce((sum, count) => sum + count, 0) - row.remaining - row.deadLettered;
    row.lost = row.initial - row.remaining - row.retrying - row.deadLettered;
    log(`memory ${scenario.id} ${name}: peak ${row.peakRssMb} MB, crashed ${row.crashed ?? 'no'}, lost ${row.lost}`);
  } catch (error) {
    row.error = errorText(error);
    log(`memory ${scenario.id} ${name} failed: ${row.error}`);
  } finally {
    await subject.kill('SIGKILL').catch(() => undefined);
  }
  return row;
}

/** Depths of a queue and its side queues once two listings in a row agree (retry copies flow back when their TTL expires). */
async function stableDepths(broker: BenchBroker, prefix: string): Promise<Map<string, number>> {
  let previous = '';
  for (let i = 0; i < 60; i++) {
    const depths = await broker.depths(prefix);
    const key = JSON.stringify([...depths].sort());
    if (key === previous) {
      return depths;
    }
    previous = key;
    await sleep(500);
  }
  throw new Error(`${prefix} and its side queues still moving after 30 s`);
}
