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
    const before = await request(http).get(`/inventory/${sku}`).expect(200);
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
    const started = Date.now();
    const response = await request(demo.app.getHttpServer()).get('/inventory/sku-1').expect(504);
    expect(Date.now() - started).toBeLessThan(4_000); // the request timeout, not the handler's delay
    expect(response.body).toMatchObject({ statusCode: 504, error: 'Gateway Timeout' });
    expect((response.body as { message: string }).message).toContain("no reply to 'inventory.stock' within 500 ms");
  });

  it('refuses a malformed SKU with 400 before sending a request', async () => {
    demo = await startDemoApp('inventory-rpc-bad');
    await request(demo.app.getHttpServer()).get('/inventory/not%20a%20sku').expect(400);
  });
});
