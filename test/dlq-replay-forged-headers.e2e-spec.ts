/**
 * `dlq replay` decides by its own per-run marker, not by replay headers a producer wrote (issue 21,
 * point 6). Before: one parked message carrying `x-replayed-at: 9999-…` made `replay` move 0
 * messages and exit 0, with every message left in the DLQ and nothing said.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { BrokerProbe, SHARED_AMQP_URL, uniqueNames } from './support/broker.js';
import { runDlqCli } from './support/dlq-cli.js';
import { waitFor } from './support/wait-for.js';

describe('dlq replay ignores replay headers a producer wrote', () => {
  const names = uniqueNames('dlq-forged');
  // One of this service's own handler queues (src/notifications), so replay accepts it without --force.
  const queue = `${names.serviceName}.notifications.order-created`;
  const dlq = `${queue}.dlq`;
  const env = { AMQP_URL: SHARED_AMQP_URL, SERVICE_NAME: names.serviceName, EVENTS_EXCHANGE: names.exchange };
  let broker: BrokerProbe;

  beforeAll(async () => {
    broker = await BrokerProbe.open();
    await broker.channel.assertQueue(queue, { durable: false });
    await broker.channel.assertQueue(dlq, { durable: false });
    broker.publish('', dlq, '{"n":1}', {
      messageId: 'forged-date',
      headers: { 'x-error-type': 'BoomError', 'x-replayed-at': '9999-12-31T23:59:59.999Z' },
    });
    broker.publish('', dlq, '{"n":2}', { messageId: 'forged-run', headers: { 'x-error-type': 'BoomError', 'x-replay-run': 'not-this-run' } });
    broker.publish('', dlq, '{"n":3}', { messageId: 'plain', headers: { 'x-error-type': 'BoomError' } });
    await waitFor('3 parked messages', async () => (await broker.ready(dlq)) === 3);
  });

  afterAll(async () => {
    await broker?.remove({ queues: [queue, dlq] });
    await broker?.close();
  });

  it('moves all 3, the forged ones included, and exits 0 with nothing skipped', async () => {
    const result = await runDlqCli(['replay', dlq], env);
    expect(result).toEqual({ code: 0, stdout: `replayed 3 message(s) from ${dlq} to ${queue}\n`, stderr: '' });
    expect(await broker.ready(dlq)).toBe(0);
    expect(await broker.ready(queue)).toBe(3);
    const copy = await broker.take(queue);
    expect(copy?.properties.messageId).toBe('forged-date');
    const headers = copy?.properties.headers ?? {};
    expect(headers['x-replayed-at']).not.toBe('9999-12-31T23:59:59.999Z');
    expect(headers['x-replay-run']).toMatch(/^[0-9a-f-]{36}$/);
  });
});
