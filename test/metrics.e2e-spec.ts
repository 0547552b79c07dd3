import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import request from 'supertest';
import { ASYNCAPI_PATH, MetricsServer } from '../src/metrics/metrics-server.js';
import { RabbitServer } from '../src/rabbitmq/admin.js';
import { BrokerProbe } from './support/broker.js';
import { type DemoApp, startDemoApp } from './support/demo-app.js';
import { waitFor } from './support/wait-for.js';

/** Value of one sample line of the Prometheus text format, e.g. `name{a="b"} 3`. */
function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  const wanted = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    if (wanted.every((pair) => line.includes(pair))) {
      return Number(line.slice(line.lastIndexOf(' ') + 1));
    }
  }
  return undefined;
}

describe('GET /metrics counts what happened', () => {
  let demo: DemoApp;
  let broker: BrokerProbe;

  beforeAll(async () => {
    demo = await startDemoApp('metrics');
    broker = await BrokerProbe.open();
  });

  afterAll(async () => {
    await broker?.close();
    await demo?.dispose();
  });

  it('matches the events the test published, acked and dead-lettered', async () => {
    const queue = `${demo.config.rabbitmq.serviceName}.notifications.user-registered`;
    for (let i = 0; i < 3; i++) {
      await request(demo.app.getHttpServer())
        .post('/users')
        .send({ email: `m${i}@example.com`, name: 'M' })
        .expect(202);
    }
    broker.publish('', queue, '{not json', { contentType: 'application/json' });
    await waitFor('3 mails', () => demo.mailer.sent.length === 3);

    const scrape = async () =>
      (
        await request(`http://127.0.0.1:${demo.app.get(MetricsServer).port}`)
          .get('/metrics')
          .expect(200)
      ).text;
    // The depth is read through a 2 s cache: wait for it too (a queue's first delivery comes alone,
    // while its prefetch window is 1, so an early read can still see one ready).
    const text = await waitFor('the dead-letter to be counted and the queue seen empty', async () => {
      const body = await scrape();
      const counted = sample(body, 'warren_messages_consumed_total', { queue, outcome: 'dead_letter' }) === 1;
      return counted && sample(body, 'warren_queue_depth', { queue }) === 0 ? body : undefined;
    });
    expect(sample(text, 'warren_messages_consumed_total', { queue, outcome: 'ack' })).toBe(3);
    expect(sample(text, 'warren_publishes_total', { outcome: 'confirmed' })).toBe(3 + 1); // 3 events + 1 dead-letter copy
    expect(sample(text, 'warren_publish_confirm_duration_seconds_count')).toBe(4);
    expect(sample(text, 'warren_handler_duration_seconds_count', { queue })).toBe(4);
    expect(sample(text, 'warren_connection_up', { role: 'publisher' })).toBe(1);
    expect(sample(text, 'warren_connection_up', { role: 'consumer' })).toBe(1);
    expect(sample(text, 'warren_connection_blocked', { role: 'publisher' })).toBe(0);
    expect(sample(text, 'warren_queue_depth', { queue })).toBe(0);
    expect(sample(text, 'warren_consumer_paused', { queue })).toBe(0);
    // Bodies within maxMessageBytes: the window opened from 1 to the cap (50, lowered to 11: the demo's 5 handler
    // queues share the 64 maximum-size messages of the budget less the 8 its partition queues hold, one each).
    expect(sample(text, 'warren_consumer_prefetch', { queue })).toBe(11);
    expect(sample(text, 'warren_in_flight_bytes')).toBe(0);
    // The default process metrics are there too.
    expect(sample(text, 'process_resident_memory_bytes')).toBeGreaterThan(0);
  });

  it('serves /metrics on METRICS_PORT only, never on the API port', async () => {
    const port = demo.app.get(MetricsServer).port;
    expect(port).toBeGreaterThan(0);
    const metrics = await request(`http://127.0.0.1:${port}`).get('/metrics').expect(200);
    expect(metrics.headers['content-type']).toBe('text/plain; version=0.0.4; charset=utf-8');
    expect(metrics.text).toContain('warren_connection_up');
    await request(`http://127.0.0.1:${port}`).get('/health/live').expect(404);
    await request(demo.app.getHttpServer()).get('/metrics').expect(404);
  });

  it('serves the event catalogue of the running service at /asyncapi.json on METRICS_PORT', async () => {
    const port = demo.app.get(MetricsServer).port;
    const response = await request(`http://127.0.0.1:${port}`).get(ASYNCAPI_PATH).expect(200);
    expect(response.headers['content-type']).toBe('application/json');
    const document = response.body as {
      asyncapi: string;
      operations: Record<string, { channel: { $ref: string } }>;
      channels: Record<string, { address: string }>;
    };
    expect(document.asyncapi).toBe('3.0.0');
    expect(Object.keys(document.operations)).toEqual(expect.arrayContaining(['publish.order.created', 'request.inventory.stock']));
    // The queue this instance consumes (named after its SERVICE_NAME), not the committed file's.
    const consumed = document.operations['consume.notifications.order-created'].channel.$ref.replace('#/channels/', '');
    expect(demo.app.get(RabbitServer).queues()).toContain(document.channels[consumed].address);
    await request(demo.app.getHttpServer()).get(ASYNCAPI_PATH).expect(404);
  });
});
