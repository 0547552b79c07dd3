import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, it } from '@jest/globals';
import { BrokerProbe, SHARED_AMQP_URL, uniqueNames } from './support/broker.js';
import { removeTopology, serviceQueues } from './support/demo-app.js';
import { freePort } from './support/free-port.js';
import { ServiceProcess } from './support/service-process.js';
import { waitFor } from './support/wait-for.js';

/**
 * Issue 12 observation 3, through the real service (`node dist/main.js`) in both log formats: a
 * producer puts `\n` and ANSI escapes into the messageId and `x-original-routing-key` of a
 * message, and a 247-character correlationId with CRLF into another. No raw control character
 * may reach the output, no forged line may appear, and the forged correlation id must reach
 * neither the logs nor the event the handler publishes onwards.
 */

/** Raw control characters, DEL and C1 controls; '\n' only ends records. */
// eslint-disable-next-line no-control-regex -- finding control characters is the point
const RAW_CONTROL = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/;

describe.each(['json', 'text'] as const)('log forging through the service (LOG_FORMAT=%s)', (format) => {
  const names = uniqueNames(`forge-${format}`);
  const marker = `FORGED${randomUUID().slice(0, 8)}`;
  /** A messageId that would start a fake log record and switch the terminal to red. */
  const forgedMessageId = `m-1\n[Nest] 99999  - 01/01/2026 ${marker} LOG fake record\u001b[31m`;
  /** A routing key header that would write a second fake record and set the terminal title. */
  const forgedRoutingKey = `user.registered\r\n${marker}-KEY \u001b]0;pwned\u0007\u009b2J`;
  /** 247 characters with CRLF, as found by the review. */
  const forgedCorrelationId = `CORR${marker}\r\nX-Injected: 1 `.padEnd(247, 'c');
  const captureQueue = `${names.serviceName}.capture-inventory`;
  let service: ServiceProcess | undefined;
  let probe: BrokerProbe | undefined;

  afterEach(async () => {
    await service?.stop();
    await probe?.remove({ queues: [captureQueue] });
    await probe?.close();
    await removeTopology(names.exchange, await serviceQueues(names));
  });

  it('escapes forged ids and routing keys, and never copies a CRLF correlationId into logs or onward events', async () => {
    const port = await freePort();
    service = await ServiceProcess.start({
      AMQP_URL: SHARED_AMQP_URL,
      PORT: port,
      SERVICE_NAME: names.serviceName,
      EVENTS_EXCHANGE: names.exchange,
      LOG_FORMAT: format,
    });
    probe = await BrokerProbe.open();
    // Catch what the inventory handler publishes onwards, as another service would.
    await probe.channel.assertQueue(captureQueue, { durable: false, autoDelete: false });
    await probe.channel.bindQueue(captureQueue, names.exchange, 'inventory.*');

    // 1. Forged messageId and x-original-routing-key: no handler matches the forged key, so the
    //    service dead-letters it and logs both values in its warning.
    probe.publish(names.exchange, 'user.registered', JSON.stringify({ userId: 'u1', email: 'f@example.com', name: 'F' }), {
      contentType: 'application/json',
      messageId: forgedMessageId,
      correlationId: forgedCorrelationId,
      headers: { 'x-original-routing-key': forgedRoutingKey },
    });
    // 2. A valid order with the forged correlationId: handled, mailed, and announced onwards.
    const messageId = `order-msg-${randomUUID()}`;
    const orderId = `o-${randomUUID()}`;
    probe.publish(
      names.exchange,
      'order.created',
      JSON.stringify({ orderId, customerId: 'c-forge', items: [{ sku: 'sku-1', quantity: 1 }], createdAt: new Date().toISOString() }),
      { contentType: 'application/json', messageId, correlationId: forgedCorrelationId },
    );

    await waitFor('the forged message to be logged', () => service!.logs.includes(`${marker}-KEY`), { timeoutMs: 20_000 });
    await waitFor('the order mail to be logged', () => service!.linesWith('mail to customer:c-forge').length > 0, { timeoutMs: 20_000 });
    const onward = await waitFor('the inventory event published onwards', () => probe!.take(captureQueue), { timeoutMs: 20_000 });

    // The onward event runs under the message's (plain) messageId, never the forged correlation id.
    expect(JSON.parse(onward.content.toString())).toMatchObject({ orderId });
    expect(onward.properties.correlationId).toBe(messageId);

    const output = service.logs;
    const lines = output.split('\n').filter((line) => line !== '');
    // What a reader sees: each JSON record's string fields, or the text lines themselves.
    const shown = format === 'json' ? lines.flatMap((line) => stringsOf(JSON.parse(line))) : lines;
    for (const text of shown) {
      expect(text).not.toMatch(RAW_CONTROL);
    }
    expect(output).not.toContain(`CORR${marker}`);
    // Nothing forged starts a record of its own.
    expect(lines.filter((line) => line.startsWith('[Nest] 99999') || line.startsWith(marker))).toEqual([]);
    // The forged values are there, visibly escaped, on the line that logs them.
    const logged = shown.find((text) => text.includes(`${marker}-KEY`))!;
    expect(logged).toContain(`m-1\\n[Nest] 99999  - 01/01/2026 ${marker} LOG fake record\\u001b[31m`);
    expect(logged).toContain(`user.registered\\r\\n${marker}-KEY \\u001b]0;pwned\\u0007\\u009b2J`);
    if (format === 'json') {
      const mailLine = lines.find((line) => line.includes('mail to customer:c-forge'))!;
      expect(JSON.parse(mailLine)).toMatchObject({ correlationId: messageId });
    }
  }, 90_000);
});

/** Every string inside a parsed JSON value (keys included). */
function stringsOf(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  if (Array.isArray(value)) return value.flatMap(stringsOf);
  if (value && typeof value === 'object') return Object.entries(value).flatMap(([key, item]) => [key, ...stringsOf(item)]);
  return [];
}
