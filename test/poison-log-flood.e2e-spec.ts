/**
 * Issue 21 point 8: per-message warnings were not limited. 3,000 poison messages made the real
 * service write 1,550 WARN lines (641 KB) in 9 s, one per dead letter: they differ by message id
 * and reason, so the logger's limit by text never applied. Now the lines of each queue are limited
 * per kind: one line, then a "held back N more like …" summary that counts the rest (1 s after the
 * burst, or once per 10 s interval while it goes on).
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { deadLetterQueueName } from '../src/rabbitmq/admin.js';
import { BrokerProbe, SHARED_AMQP_URL, uniqueNames } from './support/broker.js';
import { removeTopology, serviceQueues } from './support/demo-app.js';
import { freePort } from './support/free-port.js';
import { ServiceProcess } from './support/service-process.js';
import { waitFor } from './support/wait-for.js';

const POISON = 3_000;
const SUMMARY = /^held back ([\d,]+) more like /;

describe('a flood of poison messages (real service, shared broker)', () => {
  const names = uniqueNames('poison-log');
  let service: ServiceProcess;
  let broker: BrokerProbe;

  beforeAll(async () => {
    service = await ServiceProcess.start({
      AMQP_URL: SHARED_AMQP_URL,
      PORT: await freePort(),
      SERVICE_NAME: names.serviceName,
      EVENTS_EXCHANGE: names.exchange,
    });
    broker = await BrokerProbe.open();
  });

  afterAll(async () => {
    await service?.stop();
    await broker?.close();
    await removeTopology(names.exchange, await serviceQueues(names));
  });

  /** The dead-letter warnings of one queue, as the messages of the JSON records. */
  function deadLetterWarnings(queue: string): string[] {
    return service
      .linesWith('dead-lettering message')
      .map((line) => JSON.parse(line) as { level: string; message: string })
      .filter((record) => record.level === 'warn' && record.message.includes(` of ${queue} after `))
      .map((record) => record.message);
  }

  it('writes one dead-letter line per queue per interval, whose counts add up to every message parked', async () => {
    const queues = ['notifications.order-created', 'inventory.order-created'].map((handler) => `${names.serviceName}.${handler}`);
    for (let i = 0; i < POISON; i++) {
      broker.publish(names.exchange, 'order.created', `{"orderId":"o-${i}",`, {
        contentType: 'application/json',
        messageId: `poison-${i.toString(36)}-x${i}`,
      });
    }
    for (const queue of queues) {
      await waitFor(`${POISON} parked in ${deadLetterQueueName(queue)}`, async () => (await broker.ready(deadLetterQueueName(queue))) === POISON, {
        timeoutMs: 60_000,
      });
    }
    for (const queue of queues) {
      // One line per queue so far (and perhaps a summary if the flood outlasted an interval): it was one per message.
      expect(deadLetterWarnings(queue).length).toBeLessThanOrEqual(3);
    }
    // The interval's end says how many were held back: nothing a reader would want is lost.
    const counted = (queue: string) =>
      deadLetterWarnings(queue).reduce((sum, line) => sum + Number(SUMMARY.exec(line)?.[1].replace(/,/g, '') ?? 1), 0);
    await waitFor('the summaries of both queues', () => queues.every((queue) => counted(queue) === POISON), { timeoutMs: 20_000 });
    expect(service.linesWith('"level":"warn"').length).toBeLessThan(20);
  }, 120_000);
});
