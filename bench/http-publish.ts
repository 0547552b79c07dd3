/**
 * HTTP: POST /orders → confirmed persistent publish → 202, under autocannon at BENCH_HTTP_CONNECTIONS. Three minimal
 * apps on Nest's Fastify adapter (the service's), the same DTO, validation and event; only the publisher differs:
 *   nest       Nest's built-in ClientRMQ, `await lastValueFrom(client.emit(...))`
 *   warren     RabbitClient.publish (to its topic exchange; a classic queue is bound to keep the events)
 *   golevelup  @golevelup/nestjs-rabbitmq 9 AmqpConnection.publish, persistent (it waits for the confirm)
 * All apps start first, then take turns, BENCH_HTTP_ROUNDS runs of BENCH_HTTP_SECONDS each per connection count
 * (after one warm-up), so a slow spell of the shared machine falls on each. CPU per request = user + system time of
 * the app process (and of the local broker) during the runs / 2xx answers; p99 is the median of the runs'.
 */
import autocannon from 'autocannon';
import type { BenchBroker } from './lib/broker.js';
import { Subject } from './lib/child.js';
import type { HttpAppName, HttpResult, HttpRow } from './lib/results.js';
import { warrenConfig } from './lib/subjects.js';
import { builtPath, envInt, envList, errorText, freePort, log, median, pollUntil, round, withDeadline } from './lib/util.js';

const APPS: HttpAppName[] = ['nest', 'warren', 'golevelup'];
const ORDER_BODY = JSON.stringify({ customerId: 'c1', items: [{ sku: 'a', quantity: 1 }] });

export interface App {
  name: HttpAppName;
  subject: Subject;
  port: number;
  /** where its events are kept, purged after every run */
  queues: string[];
  /** warren's events exchange */
  exchange?: string;
}

interface Measured {
  ok: number;
  seconds: number;
  p99Ms: number;
  non2xx: number;
  errors: number;
  appCpu: number | null;
  brokerCpu: number | null;
}

export async function runHttp(broker: BenchBroker): Promise<HttpResult> {
  const connections = (process.env.BENCH_HTTP_CONNECTIONS ?? '10,50').split(',').map(Number);
  const seconds = envInt('BENCH_HTTP_SECONDS', 8);
  const rounds = envInt('BENCH_HTTP_ROUNDS', 2);
  const rows: HttpRow[] = [];
  const apps: App[] = [];
  try {
    for (const name of envList('BENCH_HTTP_APPS', APPS)) {
      log(`http: starting ${name}`);
      apps.push(await startApp(broker, name));
    }
    rows.push(...(await takeTurns(broker, apps, connections, seconds, rounds)));
  } catch (error) {
    rows.push({
      app: apps.at(-1)?.name ?? 'nest',
      connections: 0,
      reqPerSec: null,
      p99Ms: null,
      appCpuUsPerRequest: null,
      brokerCpuUsPerRequest: null,
      non2xx: 0,
      errors: 0,
      error: errorText(error),
    });
    log(`http failed: ${errorText(error)}`);
  } finally {
    for (const app of apps) {
      await app.subject.kill('SIGTERM').catch(() => undefined);
    }
    await broker.cleanup();
  }
  return { seconds, rounds, rows };
}

/**
 * The apps take turns: per connection count, `rounds` runs of `seconds` each (after one warm-up), the queues purged
 * after each run; `afterRun` sees each run of each app (the outbox bench reads its latencies there).
 */
export async function takeTurns(
  broker: BenchBroker,
  apps: App[],
  connections: number[],
  seconds: number,
  rounds: number,
  afterRun: (app: App, connections: number, warmUp: boolean) => Promise<void> = () => Promise.resolve(),
): Promise<HttpRow[]> {
  const rows: HttpRow[] = [];
  for (const c of connections) {
    const runs = new Map<HttpAppName, Measured[]>(apps.map((app) => [app.name, []]));
    for (let r = 0; r < rounds; r++) {
      for (const app of apps) {
        if (r === 0) {
          await cannon(app.port, c, 2); // warm-up
          await afterRun(app, c, true);
        }
        const measured = await measure(broker, app, c, seconds);
        runs.get(app.name)!.push(measured);
        log(`http ${app.name} c=${c} round ${r + 1}: ${round(measured.ok / measured.seconds)} req/s, p99 ${measured.p99Ms} ms`);
        await afterRun(app, c, false);
        for (const queue of app.queues) {
          await broker.purgeQueue(queue);
        }
      }
    }
    rows.push(...apps.map((app) => combine(app.name, c, runs.get(app.name)!)));
  }
  return rows;
}

/** Starts an app and checks it answers a POST with 202; `outbox` is the outbox bench's subject (env: its database). */
export async function startApp(broker: BenchBroker, name: HttpAppName, extraEnv: Record<string, string> = {}): Promise<App> {
  const port = await freePort();
  const script = builtPath(name === 'outbox' ? 'bench/subjects/outbox-app.js' : 'bench/subjects/http-app.js');
  const env: Record<string, string> = { BENCH_TRANSPORT: name, BENCH_ROLE: 'http', BENCH_PORT: String(port), ...extraEnv };
  let queue = `${broker.prefix}-http-${name}`;
  if (name !== 'warren' && name !== 'outbox') {
    await broker.declareClassicQueue(queue);
    const subject = new Subject({ label: `http-${name}`, script, env: { ...env, BENCH_QUEUE: queue } });
    await subject.waitFor('ready', 60_000);
    await probe(port);
    return { name, subject, port, queues: [queue] };
  }
  // warren declares its exchange with its publish channel: one POST first, then a classic queue bound for the events
  const config = warrenConfig(broker, `http-${name}`);
  queue = config.queue;
  const subject = new Subject({ label: `http-${name}`, script, env: { ...env, BENCH_SERVICE: config.service, BENCH_EXCHANGE: config.exchange } });
  await subject.waitFor('ready', 60_000);
  await probe(port);
  await pollUntil(
    () => broker.withChannel((channel) => channel.checkExchange(config.exchange)).then(() => true),
    15_000,
    `exchange ${config.exchange}`,
  );
  await broker.declareClassicQueue(queue);
  await broker.withChannel((channel) => channel.bindQueue(queue, config.exchange, 'order.created'));
  return { name, subject, port, queues: [queue, `${config.exchange}.unrouted`], exchange: config.exchange };
}

/** One POST that must answer 202 before any load. */
async function probe(port: number): Promise<void> {
  const init = { method: 'POST', headers: { 'content-type': 'application/json' }, body: ORDER_BODY };
  const response = await withDeadline(fetch(`http://127.0.0.1:${port}/orders`, init), 15_000, 'probe POST /orders');
  if (response.status !== 202) {
    throw new Error(`probe POST /orders answered ${response.status}: ${(await response.text()).slice(0, 300)}`);
  }
}

function cannon(port: number, connections: number, seconds: number): Promise<autocannon.Result> {
  const options = {
    url: `http://127.0.0.1:${port}/orders`,
    method: 'POST' as const,
    headers: { 'content-type': 'application/json' },
    body: ORDER_BODY,
  };
  return withDeadline(autocannon({ ...options, connections, duration: seconds, timeout: 10 }), (seconds + 30) * 1000, `autocannon c=${connections}`);
}

async function measure(broker: BenchBroker, app: App, connections: number, seconds: number): Promise<Measured> {
  const before = [app.subject.cpuSeconds(), await broker.cpuSeconds()];
  const result = await cannon(app.port, connections, seconds);
  const after = [app.subject.cpuSeconds(), await broker.cpuSeconds()];
  const spent = (i: number): number | null => {
    const [from, to] = [before[i], after[i]];
    return from == null || to == null ? null : to - from;
  };
  return {
    ok: result['2xx'],
    seconds: result.duration,
    p99Ms: result.latency.p99,
    non2xx: result.non2xx,
    errors: result.errors,
    appCpu: spent(0),
    brokerCpu: spent(1),
  };
}

/** One app's runs at one connection count: req/s and CPU over all runs, p99 as the median of the runs'. */
function combine(app: HttpAppName, connections: number, runs: Measured[]): HttpRow {
  const sum = (pick: (m: Measured) => number): number => runs.reduce((total, m) => total + pick(m), 0);
  const ok = sum((m) => m.ok);
  const perRequest = (pick: (m: Measured) => number | null): number | null =>
    runs.some((m) => pick(m) === null) || ok === 0 ? null : Math.round((sum((m) => pick(m) ?? 0) * 1e6) / ok);
  return {
    app,
    connections,
    reqPerSec: round(ok / sum((m) => m.seconds)),
    p99Ms: median(runs.map((m) => m.p99Ms)),
    appCpuUsPerRequest: perRequest((m) => m.appCpu),
    brokerCpuUsPerRequest: perRequest((m) => m.brokerCpu),
    non2xx: sum((m) => m.non2xx),
    errors: sum((m) => m.errors),
  };
}
