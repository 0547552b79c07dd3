/**
 * `dlq replay` only moves messages out of this service's own dead-letter queues (issue 12,
 * observation 8: it used to move any `<name>.dlq` into `<name>`, on a queue warren never made).
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { BrokerProbe, SHARED_AMQP_URL, uniqueNames } from './support/broker.js';
import { runDlqCli } from './support/dlq-cli.js';
import { waitFor } from './support/wait-for.js';

describe('dlq replay refuses a queue that is not one of the service DLQs', () => {
  const names = uniqueNames('dlq-refusal');
  // Another application's queue pair, which merely follows the same naming.
  const foreign = `foreign-${randomUUID()}`;
  const env = { AMQP_URL: SHARED_AMQP_URL, SERVICE_NAME: names.serviceName, EVENTS_EXCHANGE: names.exchange };
  let broker: BrokerProbe;

  beforeAll(async () => {
    broker = await BrokerProbe.open();
    await broker.channel.assertQueue(foreign, { durable: false });
    await broker.channel.assertQueue(`${foreign}.dlq`, { durable: false });
    broker.publish('', `${foreign}.dlq`, '{"theirs":true}');
    await waitFor('the parked message', async () => (await broker.ready(`${foreign}.dlq`)) === 1);
  });

  afterAll(async () => {
    await broker?.remove({ queues: [foreign, `${foreign}.dlq`] });
    await broker?.close();
  });

  it('exits 2, says why and how to override, and moves nothing', async () => {
    const result = await runDlqCli(['replay', `${foreign}.dlq`], env);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(`refusing to replay ${foreign}.dlq: it is not a dead-letter queue of this service's handlers`);
    // The service's own DLQs are listed, so a wrong SERVICE_NAME shows at once.
    expect(result.stderr).toContain(`${names.serviceName}.notifications.order-created.dlq`);
    expect(result.stderr).toContain('--force');
    expect(await broker.ready(`${foreign}.dlq`)).toBe(1);
    expect(await broker.ready(foreign)).toBe(0);
  });

  it('moves them with --force', async () => {
    const result = await runDlqCli(['replay', `${foreign}.dlq`, '--force'], env);
    expect(result).toMatchObject({ code: 0, stdout: `replayed 1 message(s) from ${foreign}.dlq to ${foreign}\n` });
    expect(await broker.ready(`${foreign}.dlq`)).toBe(0);
    expect(await broker.ready(foreign)).toBe(1);
  });
});
