import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Controller, type INestApplication, Injectable } from '@nestjs/common';
import { Ctx } from '@nestjs/microservices';
import { Test } from '@nestjs/testing';
import type pg from 'pg';
import { HandleEvent, Inbox, Outbox, RabbitContext, RabbitMQModule } from '../src/rabbitmq/index.js';
import { connectRabbitServer, RabbitServer } from '../src/rabbitmq/admin.js';
import { SHARED_AMQP_URL, uniqueNames } from './support/broker.js';
import { removeTopology } from './support/demo-app.js';
import { TestDatabase } from './support/test-database.js';
import { waitFor } from './support/wait-for.js';

const FIXTURE = new URL('./fixtures/outbox-relay-killed.mjs', import.meta.url);
const LEASE_MS = 2_000;
const names = uniqueNames('outbox-crash');

/** Counts deliveries, and applies effects (a row per message in `effects`) behind the inbox. */
@Injectable()
class Deliveries {
  count = 0;
}

@Controller()
class ReserveHandler {
  constructor(
    private readonly outbox: Outbox,
    private readonly inbox: Inbox,
    private readonly deliveries: Deliveries,
  ) {}

  @HandleEvent('stock.reserve')
  async reserve(@Ctx() ctx: RabbitContext): Promise<void> {
    this.deliveries.count += 1;
    await this.outbox.transaction(async (tx) => {
      if (!(await this.inbox.claim(tx, ctx))) return;
      await tx.query('INSERT INTO effects (message_id) VALUES ($1)', [ctx.getMessageId()]);
    });
  }
}

describe('outbox relay killed between the confirm and the delete', () => {
  let database: TestDatabase;
  let pool: pg.Pool;
  let app: INestApplication;

  beforeAll(async () => {
    database = await TestDatabase.create();
    pool = database.pool();
    await pool.query('CREATE TABLE effects (message_id text NOT NULL)');
    // This replica handles the events and writes the outbox, but relays nothing until told to.
    const moduleRef = await Test.createTestingModule({
      imports: [RabbitMQModule.forRoot({ urls: [SHARED_AMQP_URL], ...names, outbox: { database: pool, relay: false } })],
      controllers: [ReserveHandler],
      providers: [Deliveries],
    }).compile();
    app = moduleRef.createNestApplication({ logger: ['error'] });
    connectRabbitServer(app);
    await app.startAllMicroservices();
    await app.init();
    await app.get(RabbitServer).waitForConsumers();
  });

  afterAll(async () => {
    const queues = app ? app.get(RabbitServer).queues() : [];
    await app?.close();
    await pool.end();
    await database.drop();
    await removeTopology(names.exchange, queues);
  });

  it('publishes the row again after its lease expires, and the inbox applies it once', async () => {
    const outbox = app.get(Outbox);
    const { messageId } = await outbox.transaction((tx) => outbox.publish(tx, 'stock.reserve', { item: 'apple' }, { key: 'apple' }));

    const child = spawn(process.execPath, [FIXTURE.pathname], {
      env: {
        ...process.env,
        AMQP_URL: SHARED_AMQP_URL,
        SERVICE_NAME: `${names.serviceName}-relay`,
        EVENTS_EXCHANGE: names.exchange,
        DATABASE_URL: database.url,
        LEASE_MS: String(LEASE_MS),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    // 'close', not 'exit': only then has all of the output been read.
    const exit = new Promise<NodeJS.Signals | null>((resolve) => child.on('close', (_code, signal) => resolve(signal)));

    expect(await exit).toBe('SIGKILL');
    expect(output).toContain(`CONFIRMED ${messageId}`);
    // Confirmed, delivered, but still in the outbox: leased by the dead relay.
    const row = await pool.query<{ lease_owner: string | null }>('SELECT lease_owner FROM warren_outbox WHERE message_id = $1', [messageId]);
    expect(row.rows[0]?.lease_owner).toMatch(/:\d+:/);
    await waitFor('the first delivery', () => app.get(Deliveries).count >= 1);

    // A relay in this replica (as after a restart or in another replica) takes over once the lease expires.
    const relay = await Test.createTestingModule({
      imports: [
        RabbitMQModule.forRoot({
          urls: [SHARED_AMQP_URL],
          serviceName: `${names.serviceName}-relay2`,
          exchange: names.exchange,
          outbox: { database: pool },
        }),
      ],
    }).compile();
    const relayApp = relay.createNestApplication({ logger: ['error'] });
    await relayApp.init();
    try {
      await waitFor('the second delivery', () => app.get(Deliveries).count >= 2, { timeoutMs: LEASE_MS + 10_000 });
      await waitFor('an empty outbox', async () => (await pool.query('SELECT 1 FROM warren_outbox')).rowCount === 0);
    } finally {
      await relayApp.close();
    }
    const effects = await pool.query('SELECT message_id FROM effects');
    expect(effects.rows).toEqual([{ message_id: messageId }]);
    const duplicates = await pool.query<{ n: string }>('SELECT count(*) AS n FROM warren_inbox WHERE message_id = $1', [messageId]);
    expect(Number(duplicates.rows[0].n)).toBe(1);
  });
});
