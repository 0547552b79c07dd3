import type { BenchBroker } from './broker.js';
import { Subject, type SubjectOptions } from './child.js';
import { builtPath, log, withDeadline } from './util.js';

export const PATTERN = 'bench.event';

/** Names warren derives for a handler queue + its exchange (see src/rabbitmq/topology). */
export function warrenNames(exchange: string, queue: string): { queues: string[]; exchanges: string[] } {
  return {
    queues: [queue, `${queue}.dlq`, `${exchange}.unrouted`],
    exchanges: [exchange, `${exchange}.unrouted`],
  };
}

export interface WarrenSubjectConfig {
  service: string;
  exchange: string;
  queue: string;
  prefetch?: number;
  maxMessageBytes?: number;
  maxInFlightBytes?: number;
  queueType?: 'classic' | 'quorum';
}

export function warrenEnv(config: WarrenSubjectConfig): Record<string, string> {
  return {
    BENCH_TRANSPORT: 'warren',
    BENCH_SERVICE: config.service,
    BENCH_EXCHANGE: config.exchange,
    BENCH_QUEUE: config.queue,
    BENCH_PATTERN: PATTERN,
    BENCH_QUEUE_TYPE: config.queueType ?? 'classic',
    ...(config.prefetch ? { BENCH_PREFETCH: String(config.prefetch) } : {}),
    ...(config.maxMessageBytes ? { BENCH_MAX_MESSAGE_BYTES: String(config.maxMessageBytes) } : {}),
    ...(config.maxInFlightBytes ? { BENCH_MAX_IN_FLIGHT_BYTES: String(config.maxInFlightBytes) } : {}),
  };
}

/**
 * The prefetch warren really used: it caps a handler's prefetch so that prefetch × maxMessageBytes
 * fits its in-flight byte budget, and logs `prefetch of <queue> lowered from A to B` when it does.
 */
export function effectivePrefetch(startupOutput: string, requested: number | undefined, queue?: string): number | null {
  // eslint-disable-next-line no-control-regex -- ESC starts the ANSI colour codes of Nest's text logs
  const plain = startupOutput.replace(/\x1b\[[0-9;]*m/g, '');
  const match = [...plain.matchAll(/prefetch of (\S+) lowered from (\d+) to (\d+)/g)].find((m) => queue === undefined || m[1] === queue);
  if (match) {
    return Number(match[3]);
  }
  return requested ?? null;
}

/**
 * Lets warren declare its own topology (exchange, queue with its arguments, dead-letter queue,
 * binding) by starting the subject once with BENCH_DECLARE_ONLY, so the harness can fill the
 * queue afterwards without copying warren's queue arguments (which would break when they change).
 */
export async function declareWarrenTopology(broker: BenchBroker, config: WarrenSubjectConfig, label: string): Promise<void> {
  broker.track(warrenNames(config.exchange, config.queue));
  const subject = new Subject({
    label: `${label}-declare`,
    script: builtPath('bench/subjects/nest-microservice.js'),
    env: { ...warrenEnv(config), BENCH_DECLARE_ONLY: '1' },
    sampleEveryMs: 0,
  });
  try {
    await subject.waitFor('ready', 60_000);
    const exit = await subject.exitOrKill(30_000);
    if (exit.code !== 0) {
      log(`${label}: declare-only run exited with ${exit.code ?? exit.signal}`);
    }
  } finally {
    await subject.kill('SIGKILL').catch(() => undefined);
  }
  await broker.check(config.queue);
}

export function startSubject(options: SubjectOptions): Subject {
  return new Subject(options);
}

/**
 * Waits for the subject's `done`, failing early when its handled/received counter makes no
 * progress for `stallMs` (a stuck drain must not hold the run for its whole deadline).
 */
export async function waitForDone(subject: Subject, { totalMs, stallMs }: { totalMs: number; stallMs: number }): Promise<Record<string, unknown>> {
  let lastCount = -1;
  let lastChange = Date.now();
  const watchdog = new Promise<never>((_, reject) => {
    const timer = setInterval(() => {
      const count = Number(subject.lastStatus?.handled ?? subject.lastStatus?.received ?? 0);
      if (count !== lastCount) {
        lastCount = count;
        lastChange = Date.now();
      } else if (Date.now() - lastChange > stallMs) {
        clearInterval(timer);
        reject(new Error(`${subject.options.label}: no progress for ${stallMs} ms (handled ${count})`));
      }
    }, 1000);
    void subject.exited.finally(() => clearInterval(timer));
  });
  watchdog.catch(() => undefined);
  return withDeadline(Promise.race([subject.waitFor('done', totalMs), watchdog]), totalMs, `${subject.options.label} done`);
}
