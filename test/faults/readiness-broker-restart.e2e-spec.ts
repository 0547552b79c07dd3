import { afterAll, describe, expect, it } from '@jest/globals';
import { canStartDisposableBroker, DisposableBroker } from '../support/disposable-broker.js';
import { freePort } from '../support/free-port.js';
import { ServiceProcess } from '../support/service-process.js';
import { waitFor } from '../support/wait-for.js';

/**
 * The readiness probe against a disposable node that is stopped and started again. Orders go
 * through the outbox, so once ready the service stays ready while the broker is away, and says so.
 */
interface Ready {
  status: number;
  body: { details?: { rabbitmq?: { reasons?: string[]; brokerAway?: boolean } } };
}

async function readiness(port: string): Promise<Ready> {
  const response = await fetch(`http://127.0.0.1:${port}/health/ready`);
  return { status: response.status, body: (await response.json()) as Ready['body'] };
}

const brokerAvailable = canStartDisposableBroker();

(brokerAvailable ? describe : describe.skip)('readiness follows a broker that stops and comes back (disposable node)', () => {
  let broker: DisposableBroker | undefined;
  let service: ServiceProcess | undefined;

  afterAll(async () => {
    await service?.stop();
    await broker?.remove();
  });

  it('reports the broker away within seconds when it stops but stays ready (the outbox accepts), liveness stays up, and it recovers', async () => {
    broker = await DisposableBroker.start({ name: 'health' });
    const port = await freePort();
    service = await ServiceProcess.start({ AMQP_URL: broker.url, PORT: port, SERVICE_NAME: 'health-probe' });
    await broker.stop();
    const stoppedAt = Date.now();
    const down = await waitFor('readiness to report the broker away', async () => {
      const answer = await readiness(port);
      return answer.body.details?.rabbitmq?.brokerAway === true ? answer : undefined;
    });
    expect(Date.now() - stoppedAt).toBeLessThan(5_000);
    expect(down.status).toBe(200);
    expect(down.body.details?.rabbitmq?.reasons).toEqual(expect.arrayContaining(['publisher connection down', 'consumer connection down']));
    expect((await fetch(`http://127.0.0.1:${port}/health/live`)).status).toBe(200);
    await broker.startAgain();
    await waitFor(
      'the broker reported back',
      async () => {
        const answer = await readiness(port);
        return answer.status === 200 && answer.body.details?.rabbitmq?.brokerAway === undefined;
      },
      { timeoutMs: 30_000 },
    );
  }, 120_000);
});
