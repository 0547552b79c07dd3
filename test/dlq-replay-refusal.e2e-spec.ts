/**
 * `dlq replay` and `dlq purge` only touch this service's own dead-letter queues (issue 12,
 * observation 8: replay used to move any `<name>.dlq` into `<name>`, on a queue warren never made;
 * issue 21, point 6: purge emptied any queue named, another service's too, with no `--force`).
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { BrokerProbe, SHARED_AMQP_URL, uniqueNames } from './support/broker.js';
import { runDlqCli } from './support/dlq-cli.js';
import { waitFor } from './support/wait-for.js';

describe('dlq replay and purge refuse a queue that is not one of the service DLQs', () => {
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

  it('purge --yes exits 2, says why and how to override, and deletes nothing; with --force it purges', async () => {
    broker.publish('', `${foreign}.dlq`, '{"theirs":"still"}');
    await waitFor('the parked message', async () => (await broker.ready(`${foreign}.dlq`)) === 1);

    const refused = await runDlqCli(['purge', `${foreign}.dlq`, '--yes'], env);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain(`refusing to purge ${foreign}.dlq: it is not a dead-letter queue of this service's handlers`);
    expect(refused.stderr).toContain('nothing deleted');
    expect(refused.stderr).toContain('--force');
    expect(refused.stdout).toBe('');
    expect(await broker.ready(`${foreign}.dlq`)).toBe(1);

    const forced = await runDlqCli(['purge', `${foreign}.dlq`, '--yes', '--force'], env);
    expect(forced).toMatchObject({ code: 0, stdout: `purged 1 message(s) from ${foreign}.dlq\n` });
    expect(await broker.ready(`${foreign}.dlq`)).toBe(0);
  });
});
