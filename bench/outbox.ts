/**
 * Outbox (`npm run bench:outbox`), on a database of its own (`warren_bench_<random>` on BENCH_DATABASE_URL's server,
 * dropped at the end) and the shared broker, which it never stops or blocks:
 *  1. HTTP side by side: POST /orders publishing directly (http-app, RabbitClient.publish) and through the outbox
 *     (outbox-app: Outbox.publish in a transaction, keyed by order id, relayed by the same process), taking turns
 *     under autocannon as the http bench does; req/s, app CPU per request (relay included), p99, and the outbox's
 *     commit-to-confirm p50 / p99 over the measured runs.
 *  2. Backlog: BENCH_OUTBOX_ROWS rows (one key each, as orders) written in one transaction that holds the outbox
 *     table locked, so the running relay's claim waits on it as it would on a broker coming back; from the commit to
 *     an empty table: events/s, the relay process's CPU per event. The events go to one quorum queue (the inbox
 *     app's); then raw amqplib publishes as many to it, side by side: what the broker takes without a database.
 *  3. Inbox: a second app consumes the first BENCH_OUTBOX_INBOX_ROWS (20,000) drained events, claiming each in the
 *     inbox in its own transaction (the rest is deleted with the queue).
 *  4. Dead tuples of warren_outbox and warren_inbox (pg_stat_user_tables) after the run, then after VACUUM.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import pg from 'pg';
import { buildMessageProperties } from '../src/rabbitmq/admin.js';
import type { BenchBroker } from './lib/broker.js';
import { Subject } from './lib/child.js';
import type { DeadTuples, OutboxResult } from './lib/results.js';
import { type App, startApp, takeTurns } from './http-publish.js';
import { builtPath, envInt, errorText, log, pollUntil, round } from './lib/util.js';

const SERVER_URL = process.env.BENCH_DATABASE_URL ?? process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

export async function runOutbox(broker: BenchBroker): Promise<OutboxResult> {
  const rows = envInt('BENCH_OUTBOX_ROWS', 100_000);
  const inboxRows = Math.min(rows, envInt('BENCH_OUTBOX_INBOX_ROWS', 20_000));
  const database = `warren_bench_${randomBytes(6).toString('hex')}`;
  await admin(`CREATE DATABASE ${database}`);
  const url = Object.assign(new URL(SERVER_URL), { pathname: `/${database}` }).toString();
  const pool = new pg.Pool({ connectionString: url, max: 2 });
  pool.on('error', () => undefined); // an idle client cut by the DROP at the end
  const result: OutboxResult = { seconds: 0, rounds: 0, backlogRows: rows, inboxRows, http: [], latency: [] };
  const apps: App[] = [];
  let inbox: Subject | undefined;
  try {
    apps.push(await startApp(broker, 'warren'));
    apps.push(await startApp(broker, 'outbox', { BENCH_DATABASE_URL: url }));
    const outbox = apps[1];
    Object.assign(result, await sideBySide(broker, apps));

    // The inbox app declares its queue (bound to order.created) and stops: the drained events wait there for it.
    const inboxEnv = {
      BENCH_ROLE: 'inbox',
      BENCH_SERVICE: `${broker.prefix}-inbox`,
      BENCH_QUEUE: `${broker.prefix}-outbox-inbox`,
      BENCH_EXPECT: String(inboxRows),
      BENCH_EXCHANGE: outbox.exchange!,
      BENCH_DATABASE_URL: url,
    };
    const startInbox = (): Subject => new Subject({ label: 'outbox-inbox', script: builtPath('bench/subjects/outbox-app.js'), env: inboxEnv });
    inbox = startInbox();
    await inbox.waitFor('ready', 60_000);
    await inbox.kill('SIGTERM');

    result.backlog = await drainBacklog(broker, pool, outbox, rows);

    inbox = startInbox();
    const started = performance.now();
    await inbox.waitFor('done', 600_000);
    result.inboxEventsPerSec = round(inboxRows / ((performance.now() - started) / 1000));
    log(`outbox: inbox claimed ${inboxRows} events at ${result.inboxEventsPerSec} events/s (start-up included)`);
    await inbox.kill('SIGTERM');

    result.rawEventsPerSec = await rawPublish(broker, outbox.exchange!, inboxEnv.BENCH_QUEUE, rows);

    await new Promise((done) => setTimeout(done, 1_500)); // statistics reach pg_stat_user_tables within a second
    result.deadTuplesAfterRun = await deadTuples(pool);
    await pool.query('VACUUM warren_outbox, warren_inbox');
    result.deadTuplesAfterVacuum = await deadTuples(pool);
  } catch (error) {
    result.error = errorText(error);
    log(`outbox failed: ${result.error}`);
  } finally {
    await inbox?.kill('SIGKILL').catch(() => undefined);
    for (const app of apps) await app.subject.kill('SIGTERM').catch(() => undefined);
    await pool.end();
    await admin(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`).catch((error: unknown) => log(`dropping ${database}: ${errorText(error)}`));
    await broker.cleanup();
  }
  return result;
}

/** Direct and outbox POST /orders taking turns; the outbox's commit-to-confirm latencies of the measured runs. */
async function sideBySide(broker: BenchBroker, apps: App[]): Promise<Pick<OutboxResult, 'seconds' | 'rounds' | 'http' | 'latency'>> {
  const connections = (process.env.BENCH_HTTP_CONNECTIONS ?? '10,50').split(',').map(Number);
  const seconds = envInt('BENCH_HTTP_SECONDS', 8);
  const rounds = envInt('BENCH_HTTP_ROUNDS', 2);
  const latencies = new Map<number, number[]>();
  const http = await takeTurns(broker, apps, connections, seconds, rounds, async (app, c, warmUp) => {
    if (app.name === 'outbox') {
      const taken = await takeLatencies(app.port);
      if (!warmUp) latencies.set(c, [...(latencies.get(c) ?? []), ...taken]);
    }
  });
  return { seconds, rounds, http, latency: [...latencies].map(([c, all]) => ({ connections: c, ...percentiles(all.sort((a, b) => a - b)) })) };
}

/**
 * Writes `rows` events (the order event of the http bench, one key each) in one transaction holding warren_outbox in
 * EXCLUSIVE mode, waits until the relay's claim waits on that lock, commits, and times until the table is empty.
 */
async function drain(pool: pg.Pool, app: App, rows: number): Promise<NonNullable<OutboxResult['backlog']>> {
  const body = orderBody();
  const properties = buildMessageProperties({ pattern: 'order.created', contentType: 'application/json', appId: 'bench' });
  const writer = await pool.connect();
  try {
    await writer.query('BEGIN');
    await writer.query('LOCK TABLE warren_outbox IN EXCLUSIVE MODE');
    await writer.query(
      `INSERT INTO warren_outbox (message_id, exchange, routing_key, partition_key, body, properties)
       SELECT id, $2, 'order.created', 'order-' || id, $3, jsonb_set($4::jsonb, '{messageId}', to_jsonb(id::text))
       FROM (SELECT gen_random_uuid() AS id FROM generate_series(1, $1)) ids`,
      [rows, app.exchange, Buffer.from(body), JSON.stringify(properties)],
    );
    await writer.query('ANALYZE warren_outbox');
    await pollUntil(
      async () => (await pool.query(`SELECT 1 FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`)).rowCount! > 0,
      10_000,
      "the relay's claim waiting on the lock",
    );
    const cpuBefore = app.subject.cpuSeconds();
    const started = performance.now();
    await writer.query('COMMIT');
    await pollUntil(async () => (await pool.query('SELECT 1 FROM warren_outbox LIMIT 1')).rowCount === 0, 600_000, 'an empty outbox');
    const seconds = (performance.now() - started) / 1000;
    const cpu = app.subject.cpuSeconds();
    return {
      seconds: round(seconds, 2),
      eventsPerSec: round(rows / seconds),
      cpuUsPerEvent: cpu === null || cpuBefore === null ? null : round(((cpu - cpuBefore) * 1e6) / rows, 1),
    };
  } finally {
    await writer.query('ROLLBACK').catch(() => undefined);
    writer.release();
  }
}

/**
 * The backlog drained into the inbox app's queue only (the HTTP part's sink is unbound): one queue of the library's
 * default type (quorum).
 */
async function drainBacklog(broker: BenchBroker, pool: pg.Pool, outbox: App, rows: number): Promise<NonNullable<OutboxResult['backlog']>> {
  await broker.withChannel((channel) => channel.unbindQueue(outbox.queues[0], outbox.exchange!, 'order.created'));
  log(`outbox: writing a backlog of ${rows} rows`);
  await pool.query('VACUUM warren_outbox');
  const backlog = await drain(pool, outbox, rows);
  log(`outbox: drained ${rows} rows at ${backlog.eventsPerSec} events/s, ${backlog.cpuUsPerEvent} µs CPU per event`);
  for (const queue of outbox.queues) await broker.purgeQueue(queue);
  return backlog;
}

/** Raw amqplib publishing as many events to the same exchange and queue, 400 unconfirmed at most (the relay's 2 × 200): events/s. */
async function rawPublish(broker: BenchBroker, exchange: string, queue: string, rows: number): Promise<number> {
  await broker.purgeQueue(queue);
  const body = Buffer.from(orderBody()); // one body for every event, as the drained rows have
  const eventsPerSec = await broker.fill(exchange, 'order.created', rows, () => body, 400);
  log(`outbox: raw amqplib published as many to the same queue at ${eventsPerSec} events/s`);
  await broker.purgeQueue(queue);
  return eventsPerSec;
}

/** An order.created body as the demo writes it. */
function orderBody(): string {
  return JSON.stringify({ orderId: randomUUID(), customerId: 'c1', items: [{ sku: 'a', quantity: 1 }], createdAt: new Date().toISOString() });
}

/** The latencies confirmed since the last call, once every commit has its confirm. */
async function takeLatencies(port: number): Promise<number[]> {
  const taken: number[] = [];
  await pollUntil(
    async () => {
      const answer = (await (await fetch(`http://127.0.0.1:${port}/latency`)).json()) as { sortedMs: number[]; unconfirmed: number };
      taken.push(...answer.sortedMs);
      return answer.unconfirmed === 0;
    },
    60_000,
    'the confirms of the outbox rows',
  );
  return taken;
}

function percentiles(sorted: number[]): { count: number; p50Ms: number | null; p99Ms: number | null } {
  const at = (q: number): number | null => (sorted.length ? round(sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))], 1) : null);
  return { count: sorted.length, p50Ms: at(0.5), p99Ms: at(0.99) };
}

async function deadTuples(pool: pg.Pool): Promise<DeadTuples[]> {
  const { rows } = await pool.query<{ relname: string; n_live_tup: string; n_dead_tup: string; autovacuum_count: string }>(
    `SELECT relname, n_live_tup, n_dead_tup, autovacuum_count FROM pg_stat_user_tables WHERE relname IN ('warren_outbox', 'warren_inbox') ORDER BY relname DESC`,
  );
  return rows.map((r) => ({ table: r.relname, live: Number(r.n_live_tup), dead: Number(r.n_dead_tup), autovacuums: Number(r.autovacuum_count) }));
}

/** One statement on the server's `postgres` database (CREATE / DROP of the bench's own database). */
async function admin(sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: SERVER_URL });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}
