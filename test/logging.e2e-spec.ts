import { afterAll, describe, expect, it } from '@jest/globals';
import { SHARED_AMQP_URL, uniqueNames } from './support/broker.js';
import { removeTopology } from './support/demo-app.js';
import { ServiceProcess } from './support/service-process.js';
import { waitFor } from './support/wait-for.js';
import { freePort } from './support/free-port.js';

describe('structured logs', () => {
  const names = uniqueNames('logs');
  let service: ServiceProcess | undefined;

  afterAll(async () => {
    await service?.stop();
    await removeTopology(
      names.exchange,
      ['notifications.user-registered', 'notifications.order-created', 'notifications.inventory-result', 'inventory.order-created'].map((h) => `${names.serviceName}.${h}`),
    );
  });

  it('are one JSON object per line, and a handler log line carries the HTTP request id as correlationId', async () => {
    const port = await freePort();
    service = await ServiceProcess.start({ AMQP_URL: SHARED_AMQP_URL, PORT: port, SERVICE_NAME: names.serviceName, EVENTS_EXCHANGE: names.exchange });
    const response = await fetch(`http://127.0.0.1:${port}/users`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-request-id': 'req-log-42' },
      body: JSON.stringify({ email: 'log@example.com', name: 'Log' }),
    });
    expect(response.status).toBe(202);
    const line = await waitFor('the mail log line', () => service!.linesWith('mail to log@example.com')[0]);
    expect(JSON.parse(line)).toMatchObject({
      level: 'log',
      context: 'LoggingMailer',
      message: 'mail to log@example.com: Welcome, Log',
      correlationId: 'req-log-42',
      timestamp: expect.any(Number),
    });
    const lines = service.logs.split('\n').filter((l) => l.trim() !== '');
    for (const l of lines) {
      expect(() => JSON.parse(l)).not.toThrow();
    }
  });
});
