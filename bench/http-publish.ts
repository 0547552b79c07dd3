/**
 * Scenario 2 — HTTP POST /orders → confirmed persistent publish → 202, under autocannon at fixed
 * connection counts (each app its own child process; all started first, then loaded in turn at
 * each connection count so compared runs are close in time):
 *  - nest:   minimal Nest app, built-in ClientRMQ `await lastValueFrom(client.emit(...))`
 *  - warren: the same minimal app with warren's RabbitClient.publish (no consumers) — the
 *            apples-to-apples comparison
 *  - demo:   the full warren demo service (node bench/.build/src/main.js), which also consumes
 *            its own events (inventory + notifications handlers) in the same process
 * plus the raw amqplib confirmed-publish ceiling (confirm channel, window 500, persistent 1 KB).
 * Every queue is classic (the demo runs with QUEUE_TYPE=classic), so the broker work is alike.
 * After each load run the app's queue depth is compared with the 202s it answered.
 *
 * `node bench/.build/bench/http-publish.js`; env BENCH_HTTP_CONNECTIONS (10,50),
 * BENCH_HTTP_SECONDS (10), BENCH_HTTP_WARMUP_SECONDS (2), BENCH_PUBLISH_SECONDS (10).
 */
import autocannon from 'autocannon';
import { BenchBroker } from './lib/broker.js';
import type { Subject } from './lib/child.js';
import { writeReport } from './lib/report.js';
import { startSubject } from './lib/subjects.js';
import { builtPath, envInt, freePort, isMain, log, pollUntil, randomSuffix, ratio, round, withDeadline } from './lib/util.js';
import { runStandalone } from './lib/bench-run.js';

export type HttpAppName = 'nest' | 'warren' | 'demo';

export interface HttpRun {
  connections: number;
  seconds: number;
  /** 2xx answers per second */
  reqPerSec: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  ok2xx: number;
  non2xx: number;
  errors: number;
  timeouts: number;
}

export interface HttpAppResult {
  app: HttpAppName;
  label: string;
  runs: HttpRun[];
  peakRssMb: number | null;
  /** 202s answered (probe and warm-ups included) vs messages found in the app's queues */
  accepted: number;
  stored: number | null;
  error?: string;
}

export interface HttpResult {
  connections: number[];
  seconds: number;
  warmupSeconds: number;
  apps: HttpAppResult[];
  rawCeiling: { msgPerSec: number | null; window: number; messageBytes: number; seconds: number; error?: string };
  ratios: {
    connections: number;
    warrenOverNest: number | null;
    demoOverNest: number | null;
    warrenP99OverNest: number | null;
    demoP99OverNest: number | null;
    nestOverRaw: number | null;
    warrenOverRaw: number | null;
  }[];
}

const LABELS: Record<HttpAppName, string> = {
  nest: 'Nest ClientRMQ.emit (minimal app)',
  warren: 'warren RabbitClient.publish (minimal app)',
  demo: 'warren demo service (node src/main.js)',
};

const ORDER_BODY = JSON.stringify({ customerId: 'c1', items: [{ sku: 'a', quantity: 1 }] });

interface AppHandle {
  subject: Subject;
  port: number;
  /** queues whose depth counts as "stored", and which are purged between runs */
  countedQueues: string[];
  /** true when the app consumes its own queues (depth is not a store count) */
  consumesItself: boolean;
}

export async function runHttp(
  broker: BenchBroker,
  options: { connections: number[]; seconds: number; warmupSeconds: number; publishSeconds: number },
  order: HttpAppName[] = ['nest', 'warren', 'demo'],
): Promise<HttpResult> {
  const apps = await runApps(broker, order, options);
  const rawCeiling = await runRawCeiling(broker, options.publishSeconds);
  const runOf = (app: HttpAppName, c: number): HttpRun | undefined =>
    apps.find((a) => a.app === app)?.runs.find((r) => r.connections === c);
  return {
    connections: options.connections,
    seconds: options.seconds,
    warmupSeconds: options.warmupSeconds,
    apps,
    rawCeiling,
    ratios: options.connections.map((c) => ({
      connections: c,
      warrenOverNest: ratio(runOf('warren', c)?.reqPerSec, runOf('nest', c)?.reqPerSec),
      demoOverNest: ratio(runOf('demo', c)?.reqPerSec, runOf('nest', c)?.reqPerSec),
      warrenP99OverNest: ratio(runOf('warren', c)?.p99Ms, runOf('nest', c)?.p99Ms),
      demoP99OverNest: ratio(runOf('demo', c)?.p99Ms, runOf('nest', c)?.p99Ms),
      nestOverRaw: ratio(runOf('nest', c)?.reqPerSec, rawCeiling.msgPerSec),
      warrenOverRaw: ratio(runOf('warren', c)?.reqPerSec, rawCeiling.msgPerSec),
    })),
  };
}

async function startApp(broker: BenchBroker, app: HttpAppName, id: string): Promise<AppHandle> {
  const port = await freePort();
  if (app === 'nest') {
    const queue = `${broker.prefix}-http-nest-${id}`;
    await broker.declareClassicQueue(queue);
    const subject = startSubject({
      label: 'http-nest',
      script: builtPath('bench/subjects/http-app.js'),
      env: { BENCH_TRANSPORT: 'nest', BENCH_PORT: String(port), BENCH_QUEUE: queue },
    });
    await subject.waitFor('ready', 60_000);
    return { subject, port, countedQueues: [queue], consumesItself: false };
  }
  if (app === 'warren') {
    const service = `${broker.prefix}-http-warren-${id}`;
    const exchange = `${service}.events`;
    const queue = `${service}.orders`;
    broker.track({ queues: [queue, `${exchange}.unrouted`], exchanges: [exchange, `${exchange}.unrouted`] });
    const subject = startSubject({
      label: 'http-warren',
      script: builtPath('bench/subjects/http-app.js'),
      env: { BENCH_TRANSPORT: 'warren', BENCH_PORT: String(port), BENCH_SERVICE: service, BENCH_EXCHANGE: exchange },
    });
    await subject.waitFor('ready', 60_000);
    // warren declares its exchange when its publish channel opens (first publish): probe, then bind
    // a classic queue for order.created so its events are stored like the Nest app's.
    await probe(port);
    await pollUntil(async () => ((await broker.exchangeExists(exchange)) ? true : undefined), {
      timeoutMs: 15_000,
      what: `exchange ${exchange} declared by warren`,
    });
    await broker.declareClassicQueue(queue);
    await broker.bindQueue(queue, exchange, 'order.created');
    return { subject, port, countedQueues: [queue, `${exchange}.unrouted`], consumesItself: false };
  }
  const service = `${broker.prefix}-http-demo-${id}`;
  const exchange = `${service}.events`;
  broker.track({
    queues: [
      `${service}.inventory.order-created`,
      `${service}.inventory.order-created.dlq`,
      `${service}.notifications.order-created`,
      `${service}.notifications.order-created.dlq`,
      `${service}.notifications.user-registered`,
      `${service}.notifications.user-registered.dlq`,
      `${exchange}.unrouted`,
    ],
    exchanges: [exchange, `${exchange}.unrouted`],
  });
  const subject = startSubject({
    label: 'http-demo',
    script: builtPath('src/main.js'),
    env: {
      PORT: String(port),
      AMQP_URL: process.env.AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672',
      SERVICE_NAME: service,
      EVENTS_EXCHANGE: exchange,
      QUEUE_TYPE: process.env.BENCH_DEMO_QUEUE_TYPE ?? 'classic',
      MAILER_DELAY_MS: '0',
    },
  });
  await pollUntil(
    async () => {
      if (subject.exit) {
        throw new Error(`demo exited: ${subject.stderrTail.slice(-500)}`);
      }
      const response = await fetch(`http://127.0.0.1:${port}/orders`, { method: 'OPTIONS' }).catch(() => undefined);
      return response ? true : undefined;
    },
    { timeoutMs: 60_000, what: 'demo service listening' },
  );
  return { subject, port, countedQueues: [], consumesItself: true };
}

/** One POST that must answer 202 before any load is applied. */
async function probe(port: number): Promise<void> {
  const response = await withDeadline(
    fetch(`http://127.0.0.1:${port}/orders`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: ORDER_BODY }),
    15_000,
    'probe POST /orders',
  );
  const text = await response.text();
  if (response.status !== 202) {
    throw new Error(`probe POST /orders answered ${response.status}: ${text.slice(0, 300)}`);
  }
}

async function cannon(port: number, connections: number, seconds: number): Promise<autocannon.Result> {
  return withDeadline(
    autocannon({
      url: `http://127.0.0.1:${port}/orders`,
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: ORDER_BODY,
      connections,
      duration: seconds,
      timeout: 10,
    }),
    (seconds + 30) * 1000,
    `autocannon ${connections} connections`,
  );
}

/**
 * Starts every app first, then loads them in turn at each connection count (nest, warren, demo
 * at 10, then at 50 …), so the runs compared with each other are seconds apart, not minutes:
 * on a shared machine the background load drifts less between them.
 */
async function runApps(
  broker: BenchBroker,
  order: HttpAppName[],
  options: { connections: number[]; seconds: number; warmupSeconds: number },
): Promise<HttpAppResult[]> {
  const results = new Map<HttpAppName, HttpAppResult>();
  const handles = new Map<HttpAppName, AppHandle>();
  const stored = new Map<HttpAppName, number>();
  try {
    for (const app of order) {
      const result: HttpAppResult = { app, label: LABELS[app], runs: [], peakRssMb: null, accepted: 0, stored: null };
      results.set(app, result);
      try {
        log(`http: starting ${LABELS[app]}`);
        const handle = await startApp(broker, app, randomSuffix());
        handles.set(app, handle);
        if (app !== 'warren') {
          await probe(handle.port);
        }
        result.accepted += 1;
        stored.set(app, 0);
      } catch (error) {
        result.error = String(error instanceof Error ? error.message : error);
        log(`http ${app} failed to start: ${result.error}`);
      }
    }
    for (const connections of options.connections) {
      for (const app of order) {
        const handle = handles.get(app);
        const result = results.get(app);
        if (!handle || !result || result.error) {
          continue;
        }
        try {
          if (options.warmupSeconds > 0) {
            const warm = await cannon(handle.port, connections, options.warmupSeconds);
            result.accepted += warm['2xx'];
          }
          const r = await cannon(handle.port, connections, options.seconds);
          result.accepted += r['2xx'];
          const run: HttpRun = {
            connections,
            seconds: r.duration,
            reqPerSec: round(r['2xx'] / r.duration),
            p50Ms: r.latency.p50,
            p99Ms: r.latency.p99,
            maxMs: r.latency.max,
            ok2xx: r['2xx'],
            non2xx: r.non2xx,
            errors: r.errors,
            timeouts: r.timeouts,
          };
          result.runs.push(run);
          log(`http ${app} c=${connections}: ${run.reqPerSec} req/s, p50 ${run.p50Ms} ms, p99 ${run.p99Ms} ms, non2xx ${run.non2xx}, errors ${run.errors}`);
          // Count what the broker stored, then purge so every run starts on an empty queue.
          for (const queue of handle.countedQueues) {
            stored.set(app, (stored.get(app) ?? 0) + (await broker.check(queue)).ready);
            await broker.purgeQueue(queue);
          }
        } catch (error) {
          result.error = String(error instanceof Error ? error.message : error);
          log(`http ${app} c=${connections} failed: ${result.error}`);
        }
      }
    }
    for (const [app, handle] of handles) {
      const result = results.get(app);
      if (result) {
        result.stored = handle.consumesItself ? null : (stored.get(app) ?? null);
        result.peakRssMb = handle.subject.peakRssMb;
      }
    }
  } finally {
    for (const handle of handles.values()) {
      await handle.subject.kill('SIGTERM', 15_000).catch(() => undefined);
      for (const queue of handle.countedQueues) {
        await broker.deleteQueue(queue);
      }
    }
    await broker.cleanup();
  }
  return order.map((app) => results.get(app)).filter((r): r is HttpAppResult => r !== undefined);
}

async function runRawCeiling(broker: BenchBroker, seconds: number): Promise<HttpResult['rawCeiling']> {
  const queue = `${broker.prefix}-http-raw-${randomSuffix()}`;
  const window = 500;
  const messageBytes = 1024;
  const result: HttpResult['rawCeiling'] = { msgPerSec: null, window, messageBytes, seconds };
  let subject: Subject | undefined;
  try {
    log(`http: raw amqplib confirmed publish ceiling, ${seconds} s`);
    await broker.declareClassicQueue(queue);
    subject = startSubject({
      label: 'publish-raw',
      script: builtPath('bench/subjects/raw-publisher.js'),
      env: { BENCH_QUEUE: queue, BENCH_WINDOW: String(window), BENCH_BYTES: String(messageBytes), BENCH_SECONDS: String(seconds) },
    });
    await subject.waitFor('ready', 30_000);
    const done = await subject.waitFor('done', (seconds + 60) * 1000);
    if (done.failure) {
      throw new Error(String(done.failure));
    }
    result.msgPerSec = round(Number(done.confirmed) / (Number(done.elapsedMs) / 1000));
    log(`http raw ceiling: ${result.msgPerSec} msg/s`);
  } catch (error) {
    result.error = String(error instanceof Error ? error.message : error);
    log(`raw publish ceiling failed: ${result.error}`);
  } finally {
    await subject?.exitOrKill(10_000).catch(() => undefined);
    await broker.deleteQueue(queue);
  }
  return result;
}

export function httpOptionsFromEnv(): { connections: number[]; seconds: number; warmupSeconds: number; publishSeconds: number } {
  const connections = (process.env.BENCH_HTTP_CONNECTIONS ?? '10,50')
    .split(',')
    .map((c) => Number(c.trim()))
    .filter((c) => Number.isInteger(c) && c > 0);
  return {
    connections,
    seconds: envInt('BENCH_HTTP_SECONDS', 10),
    warmupSeconds: process.env.BENCH_HTTP_WARMUP_SECONDS === '0' ? 0 : envInt('BENCH_HTTP_WARMUP_SECONDS', 2),
    publishSeconds: envInt('BENCH_PUBLISH_SECONDS', 10),
  };
}

/** An app or the raw ceiling failed (an error, not a slow result). */
export function httpFailed(http: HttpResult): boolean {
  return http.apps.some((a) => !!a.error) || !!http.rawCeiling.error;
}

if (isMain(import.meta.url)) {
  await runStandalone('http', async (broker) => {
    const http = await runHttp(broker, httpOptionsFromEnv());
    await writeReport({ http, rabbitmqVersion: broker.serverVersion }, 'http');
    return httpFailed(http);
  });
}
