import { afterEach, describe, expect, it } from '@jest/globals';
import { BrokerProbe, listOnSharedBroker, SHARED_AMQP_URL, uniqueNames } from './support/broker.js';
import { removeTopology, serviceQueues } from './support/demo-app.js';
import { ServiceProcess } from './support/service-process.js';
import { waitFor } from './support/wait-for.js';
import { freePort } from './support/free-port.js';

interface Ready {
  status: number;
  body: { details?: { rabbitmq?: { queues?: Record<string, { messages: number; consumers: number }>; reasons?: string[] } } };
}

async function readiness(port: string): Promise<Ready> {
  const response = await fetch(`http://127.0.0.1:${port}/health/ready`);
  return { status: response.status, body: (await response.json()) as Ready['body'] };
}

describe('health probes of the service process', () => {
  const cleanups: (() => Promise<void>)[] = [];

  afterEach(async () => {
    for (const cleanup of cleanups.splice(0)) await cleanup();
  });

  /** A service on the shared broker with a hung mailer and a backlog of `backlog` events. */
  async function hungService(prefix: string, env: Record<string, string>, backlog: number) {
    const names = uniqueNames(prefix);
    const port = await freePort();
    const broker = await BrokerProbe.open();
    const services: ServiceProcess[] = [];
    cleanups.push(async () => {
      await Promise.all(services.map((s) => s.stop()));
      await broker.close();
      await removeTopology(names.exchange, await serviceQueues(names));
    });
    const service = await ServiceProcess.start({
      AMQP_URL: SHARED_AMQP_URL,
      SERVICE_NAME: names.serviceName,
      EVENTS_EXCHANGE: names.exchange,
      PORT: port,
      QUEUE_TYPE: 'classic', // rabbitmqctl reports classic queue counts live (quorum ones lag ~5 s)
      PREFETCH: '5',
      MAILER_DELAY_MS: '600000',
      HANDLER_TIMEOUT_MS: '600000',
      ...env,
    });
    services.push(service);
    const queue = `${names.serviceName}.notifications.user-registered`;
    for (let i = 0; i < backlog; i++) {
      broker.publish(names.exchange, 'user.registered', JSON.stringify({ userId: `u${i}`, email: `u${i}@example.com`, name: 'N' }));
    }
    return { service, port, queue, broker };
  }

  it('reports queue depths that match rabbitmqctl list_queues', async () => {
    const { port, queue, broker } = await hungService('depth', {}, 20);
    await waitFor('15 ready (5 in flight)', async () => (await broker.ready(queue)) === 15);
    const rows = await listOnSharedBroker<{ name: string; messages_ready: number; consumers: number }>([
      'list_queues',
      'name',
      'messages_ready',
      'consumers',
    ]);
    const row = rows.find((r) => r.name === queue);
    // The probe caches depths for 2 s: wait until it shows the settled backlog.
    const ready = await waitFor('readiness to report the backlog', async () => {
      const answer = await readiness(port);
      return answer.body.details?.rabbitmq?.queues?.[queue]?.messages === 15 ? answer : undefined;
    });
    expect(ready.status).toBe(200);
    expect(ready.body.details?.rabbitmq?.queues?.[queue]).toEqual({ messages: row?.messages_ready, consumers: row?.consumers });
    expect(row).toMatchObject({ messages_ready: 15, consumers: 1 });
  });

  it('fails readiness with the reason when a consumer is stuck on a hung handler', async () => {
    const { port, queue } = await hungService('stuck', { STUCK_CONSUMER_MS: '1500' }, 10);
    const down = await waitFor('readiness to report the stuck consumer', async () => {
      const answer = await readiness(port);
      return answer.status === 503 ? answer : undefined;
    });
    // 5 in flight (the prefetch) and hung; the ready count may still be the cached one.
    expect(down.body.details?.rabbitmq?.reasons).toEqual([
      expect.stringMatching(new RegExp(`^consumer of ${queue.replace(/\./g, '\\.')} stuck: 5 in flight, \\d+ ready, nothing settled for \\d+ s$`)),
    ]);
    // Liveness is about the process only: it stays up.
    expect((await fetch(`http://127.0.0.1:${port}/health/live`)).status).toBe(200);
  });

  it('fails readiness on SIGTERM while still serving, before the process exits', async () => {
    const { service, port } = await hungService('sigterm-ready', { SHUTDOWN_DELAY_MS: '1500', SHUTDOWN_GRACE_MS: '200' }, 3);
    expect((await readiness(port)).status).toBe(200);
    service.signal('SIGTERM');
    const down = await waitFor('readiness to fail', async () => {
      const answer = await readiness(port);
      return answer.status === 503 ? answer : undefined;
    });
    expect(down.body.details?.rabbitmq?.reasons).toContain('shutting down');
    expect(service.child.exitCode).toBeNull(); // still running while readiness already says no
    expect((await service.exit()).code).toBe(0);
  });

  it('shows no queue names, depths or memory on the public port by default, status and code only (READINESS_DETAILS)', async () => {
    // READINESS_DETAILS unset ('' = its default), as in production: the helpers turn it on for other tests.
    const { service, port, queue } = await hungService('ready-public', { READINESS_DETAILS: '', STUCK_CONSUMER_MS: '1000' }, 8);
    const up = await fetch(`http://127.0.0.1:${port}/health/ready`);
    const upText = await up.text();
    expect({ status: up.status, body: JSON.parse(upText) as unknown }).toEqual({ status: 200, body: { status: 'ok' } });
    // Down (a stuck consumer): still the code a probe reads, and nothing of the queues.
    const down = await waitFor('readiness to fail', async () => {
      const response = await fetch(`http://127.0.0.1:${port}/health/ready`);
      return response.status === 503 ? response.text() : undefined;
    });
    expect(JSON.parse(down)).toEqual({ status: 'error' });
    for (const text of [upText, down]) {
      expect(text).not.toContain(queue);
      expect(text).not.toMatch(/memoryBytes|messages|consumers/);
    }
    expect(service.logs).not.toContain('READINESS_DETAILS');
  });
});
