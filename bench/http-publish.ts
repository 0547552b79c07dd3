/**
 * Scenario 2 — HTTP POST /orders → confirmed persistent publish → 202, under autocannon at fixed
 * connection counts (each app its own child process; all started first, then loaded in turn at
 * each connection count, BENCH_HTTP_ROUNDS runs each, so that compared runs are close in time
 * and a slow spell of the shared machine falls on both; the demo, not compared, runs once):
 *  - nest:   minimal Nest app, built-in ClientRMQ `await lastValueFrom(client.emit(...))`
 *  - warren: the same minimal app with warren's RabbitClient.publish (no consumers) — the
 *            apples-to-apples comparison
 *  - demo:   the full warren demo service (node bench/.build/src/main.js), which also consumes
 *            its own events (inventory + notifications handlers) in the same process
 * plus the raw amqplib confirmed-publish ceiling (confirm channel, window 500, persistent 1 KB).
 * Every queue is classic (the demo runs with QUEUE_TYPE=classic), so the broker work is alike.
 * After each load run the app's queue depth is compared with the 202s it answered, and the CPU
 * the app and the (local) broker spent is divided by those 202s.
 *
 * `node bench/.build/bench/http-publish.js`; env BENCH_HTTP_APPS (nest,warren,warren-fastify,golevelup,demo), BENCH_HTTP_CONNECTIONS (10,50),
 * BENCH_HTTP_SECONDS (10), BENCH_HTTP_WARMUP_SECONDS (2), BENCH_PUBLISH_SECONDS (10).
 */
import autocannon from 'autocannon';
import { BenchBroker } from './lib/broker.js';
import type { Subject } from './lib/child.js';
import { writeReport } from './lib/report.js';
import type { HttpAppName, HttpAppResult, HttpResult, HttpRound, HttpRun } from './lib/results.js';
import { startSubject } from './lib/subjects.js';
import { builtPath, envInt, freePort, isMain, log, median, pollUntil, randomSuffix, ratio, round, withDeadline } from './lib/util.js';
import { runPublishShapes } from './lib/publish-shapes.js';
import { runStandalone } from './lib/bench-run.js';

export interface HttpOptions {
  connections: number[];
  /** length of one measured run */
  seconds: number;
  /** measured runs per app and connection count, the apps taking turns (the demo runs once) */
  rounds: number;
  warmupSeconds: number;
  publishSeconds: number;
  /** length of one run of each message shape on raw amqplib; 0 skips them */
  shapeSeconds: number;
}

const LABELS: Record<HttpAppName, string> = {
  nest: 'Nest ClientRMQ.emit (minimal app)',
  warren: 'warren RabbitClient.publish (minimal app)',
  golevelup: '@golevelup/nestjs-rabbitmq 9 AmqpConnection.publish, persistent (minimal app)',
  'warren-fastify': 'warren RabbitClient.publish on Nest Fastify adapter (minimal app)',
  demo: 'warren demo service (node src/main.js)',
};

/** Runs of each message shape (they vary less than the HTTP runs, and the whole bench must stay under 15 min). */
const SHAPE_ROUNDS = 2;

const ORDER_BODY = JSON.stringify({ customerId: 'c1', items: [{ sku: 'a', quantity: 1 }] });

interface AppHandle {
  subject: Subject;
  port: number;
  /** queues whose depth counts as "stored", and which are purged between runs */
  countedQueues: string[];
  /** true when the app consumes its own queues (depth is not a store count) */
  consumesItself: boolean;
  /** queues the app consumes itself, emptied before the next app is loaded */
  consumedQueues: string[];
}

export async function runHttp(
  broker: BenchBroker,
  options: HttpOptions,
  order: HttpAppName[] = ['nest', 'warren', 'warren-fastify', 'golevelup', 'demo'],
): Promise<HttpResult> {
  const apps = await runApps(broker, order, options);
  const rawCeiling = await runRawCeiling(broker, options.publishSeconds);
  const brokerShapes =
    options.shapeSeconds > 0 ? await runPublishShapes(broker, { seconds: options.shapeSeconds, rounds: SHAPE_ROUNDS, inFlight: 50 }) : undefined;
  const runOf = (app: HttpAppName, c: number): HttpRun | undefined => apps.find((a) => a.app === app)?.runs.find((r) => r.connections === c);
  // warren's minimal app: on Express when it ran (bench:http), else on Fastify (the full run).
  const warren: HttpAppName = apps.some((a) => a.app === 'warren') ? 'warren' : 'warren-fastify';
  return {
    connections: options.connections,
    seconds: options.seconds,
    rounds: options.rounds,
    warmupSeconds: options.warmupSeconds,
    apps,
    rawCeiling,
    brokerShapes,
    ratios: options.connections.map((c) => ({
      connections: c,
      warrenOverNest: ratio(runOf(warren, c)?.reqPerSec, runOf('nest', c)?.reqPerSec),
      demoOverNest: ratio(runOf('demo', c)?.reqPerSec, runOf('nest', c)?.reqPerSec),
      warrenP99OverNest: ratio(runOf(warren, c)?.p99Ms, runOf('nest', c)?.p99Ms),
      demoP99OverNest: ratio(runOf('demo', c)?.p99Ms, runOf('nest', c)?.p99Ms),
      nestOverRaw: ratio(runOf('nest', c)?.reqPerSec, rawCeiling.msgPerSec),
      warrenOverRaw: ratio(runOf(warren, c)?.reqPerSec, rawCeiling.msgPerSec),
      warrenCpuOverNest: ratio(runOf('warren', c)?.appCpuUsPerRequest, runOf('nest', c)?.appCpuUsPerRequest),
      warrenFastifyCpuOverNest: ratio(runOf('warren-fastify', c)?.appCpuUsPerRequest, runOf('nest', c)?.appCpuUsPerRequest),
      golevelupCpuOverNest: ratio(runOf('golevelup', c)?.appCpuUsPerRequest, runOf('nest', c)?.appCpuUsPerRequest),
      fastifyCpuOverExpress: ratio(runOf('warren-fastify', c)?.appCpuUsPerRequest, runOf('warren', c)?.appCpuUsPerRequest),
    })),
  };
}

async function startApp(broker: BenchBroker, app: HttpAppName, id: string): Promise<AppHandle> {
  const port = await freePort();
  if (app === 'nest' || app === 'golevelup') {
    return startNestApp(broker, port, id, app);
  }
  if (app === 'warren' || app === 'warren-fastify') {
    return startWarrenApp(broker, port, id, app === 'warren-fastify' ? 'fastify' : 'express');
  }
  return startDemoApp(broker, port, id);
}

/** The minimal Nest app (ClientRMQ.emit) or golevelup app (AmqpConnection.publish): to a classic queue it is given. */
async function startNestApp(broker: BenchBroker, port: number, id: string, app: 'nest' | 'golevelup'): Promise<AppHandle> {
  const queue = `${broker.prefix}-http-${app}-${id}`;
  await broker.declareClassicQueue(queue);
  const subject = startSubject({
    label: `http-${app}`,
    script: builtPath('bench/subjects/http-app.js'),
    env: { BENCH_TRANSPORT: app, BENCH_PORT: String(port), BENCH_QUEUE: queue },
  });
  await subject.waitFor('ready', 60_000);
  return { subject, port, countedQueues: [queue], consumesItself: false, consumedQueues: [] };
}

/** The minimal warren app: RabbitClient.publish to its events exchange, a classic queue bound to keep the events. */
async function startWarrenApp(broker: BenchBroker, port: number, id: string, adapter: 'express' | 'fastify'): Promise<AppHandle> {
  const service = `${broker.prefix}-http-warren-${adapter}-${id}`;
  const exchange = `${service}.events`;
  const queue = `${service}.orders`;
  broker.track({ queues: [queue, `${exchange}.unrouted`], exchanges: [exchange, `${exchange}.unrouted`] });
  const subject = startSubject({
    label: `http-warren-${adapter}`,
    script: builtPath('bench/subjects/http-app.js'),
    env: { BENCH_TRANSPORT: 'warren', BENCH_HTTP_ADAPTER: adapter, BENCH_PORT: String(port), BENCH_SERVICE: service, BENCH_EXCHANGE: exchange },
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
  return { subject, port, countedQueues: [queue, `${exchange}.unrouted`], consumesItself: false, consumedQueues: [] };
}

/** The demo service (node src/main.js): it consumes its own events. */
async function startDemoApp(broker: BenchBroker, port: number, id: string): Promise<AppHandle> {
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
  return {
    subject,
    port,
    countedQueues: [],
    consumesItself: true,
    consumedQueues: [`${service}.inventory.order-created`, `${service}.notifications.order-created`],
  };
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

/** What runApps keeps per app while the apps take turns. */
interface AppsRun {
  results: Map<HttpAppName, HttpAppResult>;
  handles: Map<HttpAppName, AppHandle>;
  /** messages the broker stored for the app, over all its runs */
  stored: Map<HttpAppName, number>;
}

/**
 * Starts every app first, then loads them in turn at each connection count (nest, warren, demo
 * at 10, then at 50 …), so the runs compared with each other are seconds apart, not minutes:
 * on a shared machine the background load drifts less between them.
 */
async function runApps(broker: BenchBroker, order: HttpAppName[], options: HttpOptions): Promise<HttpAppResult[]> {
  const run: AppsRun = { results: new Map(), handles: new Map(), stored: new Map() };
  const { results, handles, stored } = run;
  try {
    await startApps(broker, order, run);
    for (const connections of options.connections) {
      await loadAtConnections(broker, order, options, connections, run);
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

/** Starts each app and probes it once; an app that fails to start keeps its error and is left out of the load. */
async function startApps(broker: BenchBroker, order: HttpAppName[], run: AppsRun): Promise<void> {
  for (const app of order) {
    const result: HttpAppResult = { app, label: LABELS[app], runs: [], peakRssMb: null, accepted: 0, stored: null };
    run.results.set(app, result);
    try {
      log(`http: starting ${LABELS[app]}`);
      const handle = await startApp(broker, app, randomSuffix());
      run.handles.set(app, handle);
      if (app !== 'warren') {
        await probe(handle.port);
      }
      result.accepted += 1;
      run.stored.set(app, 0);
    } catch (error) {
      result.error = String(error instanceof Error ? error.message : error);
      log(`http ${app} failed to start: ${result.error}`);
    }
  }
}

/** Every app at one connection count, the apps taking turns round after round; each app's rounds become its run. */
async function loadAtConnections(broker: BenchBroker, order: HttpAppName[], options: HttpOptions, connections: number, run: AppsRun): Promise<void> {
  const measured = new Map<HttpAppName, MeasuredRound[]>();
  for (let roundIndex = 0; roundIndex < options.rounds; roundIndex++) {
    for (const app of order) {
      // The demo is shown, not compared: one run, after the others' last round.
      if (app === 'demo' && roundIndex < options.rounds - 1) {
        continue;
      }
      const handle = run.handles.get(app);
      const result = run.results.get(app);
      if (!handle || !result || result.error) {
        continue;
      }
      try {
        await loadOnce(broker, { app, handle, result, connections, roundIndex, options, measured, stored: run.stored });
      } catch (error) {
        result.error = String(error instanceof Error ? error.message : error);
        log(`http ${app} c=${connections} failed: ${result.error}`);
      }
    }
  }
  for (const [app, rounds] of measured) {
    run.results.get(app)?.runs.push(combineRounds(connections, rounds));
  }
}

/** One app, one round at one connection count: warm-up (its first round only), the measured run, then the broker's count. */
async function loadOnce(
  broker: BenchBroker,
  turn: {
    app: HttpAppName;
    handle: AppHandle;
    result: HttpAppResult;
    connections: number;
    roundIndex: number;
    options: HttpOptions;
    measured: Map<HttpAppName, MeasuredRound[]>;
    stored: Map<HttpAppName, number>;
  },
): Promise<void> {
  const { app, handle, result, connections, roundIndex, options, measured, stored } = turn;
  if (options.warmupSeconds > 0 && !measured.has(app)) {
    const warm = await cannon(handle.port, connections, options.warmupSeconds);
    result.accepted += warm['2xx'];
  }
  const one = await measureRound(broker, handle, connections, options.seconds);
  result.accepted += one.ok2xx;
  measured.set(app, [...(measured.get(app) ?? []), one]);
  log(
    `http ${app} c=${connections} round ${roundIndex + 1}: ${one.round.reqPerSec} req/s, p50 ${one.round.p50Ms} ms, p99 ${one.round.p99Ms} ms, ` +
      `CPU/req app ${cpuPerRequest(one.appCpuSeconds, one.ok2xx)} µs broker ${cpuPerRequest(one.brokerCpuSeconds, one.ok2xx)} µs, non2xx ${one.non2xx}, errors ${one.errors}`,
  );
  // Count what the broker stored, then purge so every run starts on an empty queue.
  for (const queue of handle.countedQueues) {
    stored.set(app, (stored.get(app) ?? 0) + (await broker.check(queue)).ready);
    await broker.purgeQueue(queue);
  }
  // An app that consumes its own events must finish them before the next app is loaded.
  await waitUntilConsumed(broker, handle.consumedQueues);
}

interface MeasuredRound {
  round: HttpRound;
  ok2xx: number;
  non2xx: number;
  errors: number;
  timeouts: number;
  maxMs: number;
  /** CPU used during the run by the app and by the broker (null when it cannot be read) */
  appCpuSeconds: number | null;
  brokerCpuSeconds: number | null;
}

/** One measured autocannon run against one app, with the CPU the app and the broker spent on it. */
async function measureRound(broker: BenchBroker, handle: AppHandle, connections: number, seconds: number): Promise<MeasuredRound> {
  const before = { app: handle.subject.cpuSeconds(), broker: await broker.cpuSeconds() };
  const r = await cannon(handle.port, connections, seconds);
  const after = { app: handle.subject.cpuSeconds(), broker: await broker.cpuSeconds() };
  const spent = (from: number | null, to: number | null): number | null => (from === null || to === null ? null : to - from);
  return {
    round: { seconds: r.duration, reqPerSec: round(r['2xx'] / r.duration), p50Ms: r.latency.p50, p99Ms: r.latency.p99 },
    ok2xx: r['2xx'],
    non2xx: r.non2xx,
    errors: r.errors,
    timeouts: r.timeouts,
    maxMs: r.latency.max,
    appCpuSeconds: spent(before.app, after.app),
    brokerCpuSeconds: spent(before.broker, after.broker),
  };
}

/** Rounds of one app at one connection count, summed (counts, CPU) or as the median (percentiles). */
function combineRounds(connections: number, rounds: MeasuredRound[]): HttpRun {
  const sum = (pick: (r: MeasuredRound) => number): number => rounds.reduce((total, r) => total + pick(r), 0);
  const cpu = (pick: (r: MeasuredRound) => number | null): number | null =>
    rounds.some((r) => pick(r) === null)
      ? null
      : cpuPerRequest(
          sum((r) => pick(r) ?? 0),
          sum((r) => r.ok2xx),
        );
  const seconds = sum((r) => r.round.seconds);
  return {
    connections,
    seconds,
    reqPerSec: round(sum((r) => r.ok2xx) / seconds),
    p50Ms: median(rounds.map((r) => r.round.p50Ms)),
    p99Ms: median(rounds.map((r) => r.round.p99Ms)),
    maxMs: Math.max(...rounds.map((r) => r.maxMs)),
    rounds: rounds.map((r) => r.round),
    ok2xx: sum((r) => r.ok2xx),
    non2xx: sum((r) => r.non2xx),
    errors: sum((r) => r.errors),
    timeouts: sum((r) => r.timeouts),
    appCpuUsPerRequest: cpu((r) => r.appCpuSeconds),
    brokerCpuUsPerRequest: cpu((r) => r.brokerCpuSeconds),
  };
}

/** CPU seconds in µs per request (null when unreadable or nothing was answered). */
function cpuPerRequest(cpuSeconds: number | null, requests: number): number | null {
  return cpuSeconds === null || requests === 0 ? null : Math.round((cpuSeconds * 1e6) / requests);
}

/** Waits (at most 60 s) until the app's own queues hold no ready messages. */
async function waitUntilConsumed(broker: BenchBroker, queues: string[]): Promise<void> {
  if (queues.length === 0) {
    return;
  }
  await pollUntil(
    async () => {
      for (const queue of queues) {
        if ((await broker.check(queue)).ready > 0) {
          return undefined;
        }
      }
      return true;
    },
    { timeoutMs: 60_000, what: `the app's own queues (${queues.join(', ')}) consumed` },
  );
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

/** BENCH_HTTP_APPS (nest,warren,warren-fastify,golevelup,demo): which apps to load, in that order. */
export function httpAppsFromEnv(): HttpAppName[] {
  const names = (process.env.BENCH_HTTP_APPS ?? 'nest,warren,warren-fastify,golevelup,demo').split(',').map((a) => a.trim());
  const unknown = names.filter((a) => !(a in LABELS));
  if (unknown.length > 0) {
    throw new Error(`BENCH_HTTP_APPS: unknown app ${unknown.join(', ')} (use ${Object.keys(LABELS).join(', ')})`);
  }
  return names as HttpAppName[];
}

export function httpOptionsFromEnv(): HttpOptions {
  const connections = (process.env.BENCH_HTTP_CONNECTIONS ?? '10,50')
    .split(',')
    .map((c) => Number(c.trim()))
    .filter((c) => Number.isInteger(c) && c > 0);
  return {
    connections,
    seconds: envInt('BENCH_HTTP_SECONDS', 10),
    rounds: envInt('BENCH_HTTP_ROUNDS', 3),
    warmupSeconds: process.env.BENCH_HTTP_WARMUP_SECONDS === '0' ? 0 : envInt('BENCH_HTTP_WARMUP_SECONDS', 2),
    publishSeconds: envInt('BENCH_PUBLISH_SECONDS', 10),
    shapeSeconds: process.env.BENCH_SHAPE_SECONDS === '0' ? 0 : envInt('BENCH_SHAPE_SECONDS', 5),
  };
}

/** An app or the raw ceiling failed (an error, not a slow result). */
export function httpFailed(http: HttpResult): boolean {
  return http.apps.some((a) => !!a.error) || !!http.rawCeiling.error || !!http.brokerShapes?.shapes.some((s) => !!s.error);
}

if (isMain(import.meta.url)) {
  await runStandalone('http', async (broker) => {
    const http = await runHttp(broker, httpOptionsFromEnv(), httpAppsFromEnv());
    await writeReport({ http, rabbitmqVersion: broker.serverVersion }, 'http');
    return httpFailed(http);
  });
}
