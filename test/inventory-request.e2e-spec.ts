import { afterEach, describe, expect, it } from '@jest/globals';
import request from 'supertest';
import { INITIAL_UNITS_PER_SKU } from '../src/inventory/stock-ledger.js';
import { type DemoApp, startDemoApp } from './support/demo-app.js';
import { waitFor } from './support/wait-for.js';

/** The demo's GET /inventory/:sku, answered by the inventory feature over request/reply on the real broker. */
describe('GET /inventory/:sku (request/reply demo)', () => {
  let demo: DemoApp | undefined;

  afterEach(async () => {
    await demo?.dispose();
    demo = undefined;
  });

  it('answers with the units the inventory handler holds, and reflects a reservation made by order.created', async () => {
    demo = await startDemoApp('inventory-rpc');
    const http = demo.app.getHttpServer();
    const sku = `sku-${Date.now()}`;
    // The requester's channel opens with the connection, which may be a moment after the consumers are attached.
    const before = await waitFor('the first stock lookup to be answered', async () => {
      const response = await request(http).get(`/inventory/${sku}`);
      return response.status === 200 ? response : undefined;
    });
    expect(before.body).toEqual({ sku, available: INITIAL_UNITS_PER_SKU });

    await request(http)
      .post('/orders')
      .send({ customerId: 'c-1', items: [{ sku, quantity: 3 }] })
      .expect(202);
    await waitFor('the reservation to show in the stock lookup', async () => {
      const response = await request(http).get(`/inventory/${sku}`);
      return response.status === 200 && (response.body as { available: number }).available === INITIAL_UNITS_PER_SKU - 3;
    });
  });

  it('answers 504 when the inventory handler does not reply within REQUEST_TIMEOUT_MS', async () => {
    demo = await startDemoApp('inventory-rpc-slow', { INVENTORY_LOOKUP_DELAY_MS: '5000', REQUEST_TIMEOUT_MS: '500' });
    // The requester's channel opens with the connection, which may be a moment after the consumers are attached.
    const { response, tookMs } = await waitFor('a lookup the requester could send', async () => {
      const started = Date.now();
      const answer = await request(demo!.app.getHttpServer()).get('/inventory/sku-1');
      return answer.status === 503 ? undefined : { response: answer, tookMs: Date.now() - started };
    });
    expect(response.status).toBe(504);
    expect(tookMs).toBeLessThan(4_000); // the request timeout, not the handler's delay
    expect(response.body).toMatchObject({ statusCode: 504, error: 'Gateway Timeout' });
    expect((response.body as { message: string }).message).toContain("no reply to 'inventory.stock' within 500 ms");
  });

  it('refuses a malformed SKU with 400 before sending a request', async () => {
    demo = await startDemoApp('inventory-rpc-bad');
    await request(demo.app.getHttpServer()).get('/inventory/not%20a%20sku').expect(400);
  });
});
