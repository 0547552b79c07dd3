import type { BenchBroker } from './broker.js';
import { Subject } from './child.js';
import { builtPath, log } from './util.js';

export const PATTERN = 'bench.event';
export const MICROSERVICE = builtPath('bench/subjects/nest-microservice.js');
export const GOLEVELUP_CONSUMER = builtPath('bench/subjects/golevelup-consumer.js');
export const RAW_CONSUMER = builtPath('bench/subjects/raw-consumer.js');

/** A warren handler queue and its exchange, all named under the run's prefix. */
export interface WarrenSubjectConfig {
  service: string;
  exchange: string;
  queue: string;
  prefetch?: number;
  maxMessageBytes?: number;
  maxInFlightBytes?: number;
}

/** warren's subject config for one part of the run: `<prefix>-<part>.events` and `<prefix>-<part>.<queue>`. */
export function warrenConfig(broker: BenchBroker, part: string, extra: Partial<WarrenSubjectConfig> = {}): WarrenSubjectConfig {
  const service = `${broker.prefix}-${part}`;
  broker.trackExchanges(`${service}.events`, `${service}.events.unrouted`);
  return { service, exchange: `${service}.events`, queue: `${service}.queue`, ...extra };
}

export function warrenEnv(config: WarrenSubjectConfig): Record<string, string> {
  const optional = {
    BENCH_PREFETCH: config.prefetch,
    BENCH_MAX_MESSAGE_BYTES: config.maxMessageBytes,
    BENCH_MAX_IN_FLIGHT_BYTES: config.maxInFlightBytes,
  };
  return {
    BENCH_TRANSPORT: 'warren',
    BENCH_SERVICE: config.service,
    BENCH_EXCHANGE: config.exchange,
    BENCH_QUEUE: config.queue,
    BENCH_PATTERN: PATTERN,
    BENCH_QUEUE_TYPE: 'classic',
    ...Object.fromEntries(Object.entries(optional).flatMap(([key, value]) => (value ? [[key, String(value)]] : []))),
  };
}

/**
 * The prefetch warren really used: it caps a handler's prefetch so that prefetch × maxMessageBytes fits its
 * in-flight byte budget, and logs `prefetch of <queue> lowered from A to B` when it does.
 */
export function effectivePrefetch(startupOutput: string, requested: number | undefined): number | null {
  // eslint-disable-next-line no-control-regex -- ESC starts the ANSI colour codes of Nest's text logs
  const match = /prefetch of \S+ lowered from \d+ to (\d+)/.exec(startupOutput.replace(/\x1b\[[0-9;]*m/g, ''));
  return match ? Number(match[1]) : (requested ?? null);
}

/**
 * Lets warren declare its own topology (exchange, queue with its arguments, dead-letter queue, binding) by starting
 * the subject once with BENCH_DECLARE_ONLY, so the harness fills the queue without copying warren's queue arguments.
 */
export async function declareWarrenTopology(broker: BenchBroker, config: WarrenSubjectConfig, label: string): Promise<void> {
  const subject = new Subject({ label: `${label}-declare`, script: MICROSERVICE, env: { ...warrenEnv(config), BENCH_DECLARE_ONLY: '1' } });
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

/** Waits for the subject's `done`, failing early when its handled counter stands still for 30 s (a stuck drain). */
export async function waitForDone(subject: Subject, totalMs: number): Promise<Record<string, unknown>> {
  const deadline = Date.now() + totalMs;
  let last = -1;
  let lastChange = Date.now();
  for (;;) {
    const done = await subject.waitFor('done', 1000).catch((error: Error) => (subject.exit ? Promise.reject(error) : undefined));
    if (done) {
      return done;
    }
    const count = Number(subject.lastStatus?.handled ?? 0);
    [last, lastChange] = count !== last ? [count, Date.now()] : [last, lastChange];
    if (Date.now() - lastChange > 30_000 || Date.now() > deadline) {
      throw new Error(
        `${subject.options.label}: no 'done' (handled ${count}, ${Date.now() > deadline ? 'deadline passed' : 'no progress for 30 s'})`,
      );
    }
  }
}
