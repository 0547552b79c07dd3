import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import request from 'supertest';
import { type DemoApp, startDemoApp } from './support/demo-app.js';
import { TcpProxy } from './support/tcp-proxy.js';
import { TestDatabase } from './support/test-database.js';
import { waitFor } from './support/wait-for.js';

const order = { customerId: 'c-db', items: [{ sku: 'sku-db', quantity: 1 }] };

/** PostgreSQL cut off by a TCP proxy (a partition: nothing answers), then back: 503s and readiness down, then recovery without a restart. */
describe('PostgreSQL unreachable, then back', () => {
  let database: TestDatabase;
  let proxy: TcpProxy;
  let demo: DemoApp;

  beforeAll(async () => {
    database = await TestDatabase.create();
    proxy = await TcpProxy.start({ port: Number(new URL(database.url).port || 5432) });
    const url = new URL(database.url);
    url.port = String(proxy.port);
    demo = await startDemoApp('db-outage', { DATABASE_URL: url.toString() });
  });

  afterAll(async () => {
    proxy.thaw();
    await demo.dispose();
    await proxy.close();
    await database.drop();
  });

  it('answers 503 with a clear message and no stack, readiness goes down, and both recover without a restart', async () => {
    const http = demo.app.getHttpServer();
    await request(http).post('/orders').send(order).expect(202);

    proxy.dropConnections();
    proxy.freeze();
    const refused = await request(http).post('/orders').send(order);
    expect(refused.status).toBe(503);
    expect(refused.headers['retry-after']).toMatch(/^\d+$/);
    expect(refused.body).toEqual({
      statusCode: 503,
      error: 'Service Unavailable',
      message: expect.stringContaining('the database is unavailable'),
    });
    expect(JSON.stringify(refused.body)).not.toMatch(/ at |\.ts:|\.js:/);
    const down = await waitFor('readiness down', async () => {
      const response = await request(http).get('/health/ready');
      return response.status === 503 ? response : undefined;
    });
    expect(down.body).toMatchObject({ details: { database: { status: 'down' } } });
    await request(http).get('/health/live').expect(200);

    proxy.thaw();
    await waitFor('orders accepted again', async () => (await request(http).post('/orders').send(order)).status === 202, {
      timeoutMs: 30_000,
      intervalMs: 250,
    });
    await waitFor('readiness up again', async () => (await request(http).get('/health/ready')).status === 200, {
      timeoutMs: 30_000,
      intervalMs: 250,
    });
  }, 90_000);
});
