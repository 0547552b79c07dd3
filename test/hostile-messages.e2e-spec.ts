import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { Controller, Injectable } from '@nestjs/common';
import { Ctx, Payload } from '@nestjs/microservices';
import type { GetMessage } from 'amqplib';
import { NonRetryableError, HandleEvent, RabbitClient, RabbitContext, Retry } from '../src/rabbitmq/index.js';
import { deadLetterQueueName, retryQueueName } from '../src/rabbitmq/admin.js';
import { HEADER_ERROR_MESSAGE, HEADER_ERROR_TYPE, HEADER_RETRY_COUNT } from '../src/rabbitmq/wire/message-headers.js';
import { RabbitPublisher } from '../src/rabbitmq/publisher/rabbit-publisher.js';
import { BrokerProbe } from './support/broker.js';
import { type DemoApp, startDemoApp } from './support/demo-app.js';
import { holdsFor } from './support/holds-for.js';
import { type ProbeApp, startProbeApp } from './support/probe-app.js';
import { publishWithRawFrames } from './support/raw-publish.js';
import { waitFor } from './support/wait-for.js';

/** 120 headers of 1 KiB: 120 KiB, which RabbitMQ accepts and amqplib cannot re-encode (64 KiB). */
function hugeHeaders(): Record<string, string> {
  const headers: Record<string, string> = { tenant: 'acme' };
  for (let i = 0; i < 120; i++) {
    headers[`x-blob-${i}`] = String(i % 10).repeat(1024);
  }
  return headers;
}

/** Bytes of a header table as JSON: a close stand-in for its AMQP size, for a bound check. */
function headerBytes(message: GetMessage): number {
  return Buffer.byteLength(JSON.stringify(message.properties.headers ?? {}));
}

describe('hostile messages are parked once, never loop (demo service on the real broker)', () => {
  let demo: DemoApp;
  let broker: BrokerProbe;
  let queueOf: (suffix: string) => string;

  beforeAll(async () => {
    demo = await startDemoApp('hostile', { RETRY_DELAYS_MS: '100' });
    broker = await BrokerProbe.open();
    queueOf = (suffix) => demo.server.queues().find((queue) => queue.endsWith(suffix))!;
  });

  afterAll(async () => {
    await broker?.close();
    await demo?.dispose();
  });

  async function takeParked(queue: string): Promise<GetMessage> {
    return waitFor(`a parked message in ${deadLetterQueueName(queue)}`, () => broker.take(deadLetterQueueName(queue)), { timeoutMs: 20_000 });
  }

  it('120 KiB of headers: parked once with a bounded header set; other queues and publishing undisturbed', async () => {
    const notifications = queueOf('.notifications.order-created');
    const inventory = queueOf('.inventory.order-created');
    const welcome = queueOf('.notifications.user-registered');
    // No items: both order.created handlers refuse it (ValidationError), so a DLQ copy must be made.
    await publishWithRawFrames(
      {
        exchange: demo.config.rabbitmq.exchange!,
        routingKey: 'order.created',
        body: Buffer.from(JSON.stringify({ orderId: 'o-huge-headers', customerId: 'c-1' })),
        headers: hugeHeaders(),
        contentType: 'application/json',
        messageId: 'huge-headers-1',
      },
      notifications,
    );
    // Meanwhile other events keep flowing through another queue.
    for (let i = 0; i < 20; i++) {
      broker.publish(demo.config.rabbitmq.exchange!, 'user.registered', JSON.stringify({ userId: `u-${i}`, email: `u-${i}@example.com`, name: 'N' }));
    }

    for (const queue of [notifications, inventory]) {
      const parked = await takeParked(queue);
      const headers = parked.properties.headers!;
      expect(parked.properties.messageId).toBe('huge-headers-1');
      expect(headers[HEADER_ERROR_TYPE]).toBe('ValidationError');
      expect(headers[HEADER_RETRY_COUNT]).toBe(0);
      expect(headers[HEADER_ERROR_MESSAGE]).toContain('items must be an array');
      expect(headers[HEADER_ERROR_MESSAGE]).toMatch(/\d+ header\(s\) left out of this copy, over the 16384-byte budget/);
      expect(headers.tenant).toBe('acme'); // small headers are kept
      expect(headerBytes(parked)).toBeLessThan(20 * 1024);
    }
    await waitFor('20 welcome mails', () => demo.mailer.sent.filter((m) => m.subject.startsWith('Welcome')).length >= 20, { timeoutMs: 20_000 });

    // Parked once: no second copy appears, nothing is left to loop on the handler queues.
    await holdsFor(
      'no second copy and empty handler queues',
      async () =>
        (await broker.ready(deadLetterQueueName(notifications))) === 0 &&
        (await broker.ready(deadLetterQueueName(inventory))) === 0 &&
        (await broker.ready(notifications)) === 0 &&
        (await broker.ready(inventory)) === 0,
      { durationMs: 2_000, intervalMs: 200 },
    );
    for (const status of demo.server.consumerStatus()) {
      expect(status).toMatchObject({ killSwitch: 'closed', consuming: true, pausedFor: [] });
    }
    expect(await broker.ready(welcome)).toBe(0);
    // The publish channel survived: an unrelated publish is confirmed at once.
    await expect(
      demo.app.get(RabbitClient).publish('user.registered', { userId: 'u-after', email: 'after@example.com', name: 'A' }),
    ).resolves.toMatchObject({
      messageId: expect.any(String),
    });
    await waitFor('the welcome mail of the later event', () => demo.mailer.sent.some((m) => m.to === 'after@example.com'));
  });

  it.each([
    ['100k-deep JSON', Buffer.from(`${'['.repeat(100_000)}${']'.repeat(100_000)}`), 'JSON nests deeper than 64 levels'],
    [
      'invalid UTF-8 inside a string',
      Buffer.concat([Buffer.from('{"userId":"u-'), Buffer.from([0xff, 0xfe]), Buffer.from('","email":"x@example.com","name":"X"}')]),
      'invalid UTF-8',
    ],
  ])('%s is parked at once as DecodeError', async (_case, body, reason) => {
    const queue = queueOf('.notifications.user-registered');
    const mailsBefore = demo.mailer.sent.length;
    broker.publish(demo.config.rabbitmq.exchange!, 'user.registered', body, { contentType: 'application/json', messageId: `bad-${reason}` });
    const parked = await takeParked(queue);
    expect(parked.properties.messageId).toBe(`bad-${reason}`);
    expect(parked.properties.headers![HEADER_ERROR_TYPE]).toBe('DecodeError');
    expect(parked.properties.headers![HEADER_ERROR_MESSAGE]).toBe(`body is not valid application/json: ${reason}`);
    expect(parked.properties.headers![HEADER_RETRY_COUNT]).toBe(0);
    expect(parked.content.equals(body)).toBe(true); // the bytes are kept as sent
    expect(demo.mailer.sent.length).toBe(mailsBefore);
  });
});

@Injectable()
class Attempts {
  readonly seen: { retryCount: number; messageId: string; headerNames: string[] }[] = [];
}

@Controller()
class FlakyHandler {
  constructor(private readonly attempts: Attempts) {}

  @HandleEvent('hostile.flaky')
  @Retry({ attempts: 3, delaysMs: [200] })
  onFlaky(@Payload() _data: unknown, @Ctx() context: RabbitContext): void {
    this.attempts.seen.push({
      retryCount: context.getRetryCount(),
      messageId: context.getMessageId(),
      headerNames: Object.keys(context.getMessage().properties.headers ?? {}),
    });
    if (this.attempts.seen.length === 1) {
      throw new Error('downstream unavailable');
    }
  }
}

describe('a retry copy of a message with 120 KiB of headers', () => {
  let probe: ProbeApp;
  let broker: BrokerProbe;

  beforeAll(async () => {
    probe = await startProbeApp('hostile-retry', [FlakyHandler], {}, [Attempts]);
    broker = await BrokerProbe.open();
  });

  afterAll(async () => {
    const queue = probe?.server.queues()[0];
    await probe?.dispose();
    if (queue) {
      await broker?.remove({ queues: [retryQueueName(queue, 200)] });
    }
    await broker?.close();
  });

  it('is published with the headers that fit and comes back for its retry, once', async () => {
    const queue = probe.server.queues()[0];
    await publishWithRawFrames(
      { exchange: probe.exchange, routingKey: 'hostile.flaky', body: Buffer.from('{"n":1}'), headers: hugeHeaders() },
      queue,
    );
    const attempts = probe.app.get(Attempts);
    await waitFor('the retry delivery', () => attempts.seen.length >= 2, { timeoutMs: 20_000 });
    const [first, second] = attempts.seen;
    expect(first.retryCount).toBe(0);
    expect(first.headerNames.length).toBe(121);
    expect(second.retryCount).toBe(1);
    expect(second.headerNames).toContain('tenant');
    expect(second.headerNames.length).toBeLessThan(30);
    // No message_id from the producer: the derived one is stamped on the retry copy.
    expect(second.messageId).toBe(first.messageId);
    await holdsFor('no third delivery', () => attempts.seen.length === 2, { durationMs: 1_000 });
    expect(await broker.ready(deadLetterQueueName(queue))).toBe(0);
  });
});

@Injectable()
class Calls {
  count = 0;
}

@Controller()
class AlwaysFailingHandler {
  constructor(private readonly calls: Calls) {}

  @HandleEvent('hostile.conflict')
  @Retry({ attempts: 3, delaysMs: [250] })
  onConflict(): void {
    this.calls.count += 1;
    throw new Error('downstream unavailable');
  }
}

describe('a retry copy that cannot be made (its retry queue exists with other arguments)', () => {
  let probe: ProbeApp;
  let broker: BrokerProbe;
  let conflicting: string;

  beforeAll(async () => {
    probe = await startProbeApp('hostile-conflict', [AlwaysFailingHandler], {}, [Calls]);
    broker = await BrokerProbe.open();
    // Left behind by someone else with another TTL and type: the broker refuses our declare (406).
    conflicting = retryQueueName(probe.server.queues()[0], 250);
    await broker.channel.assertQueue(conflicting, { durable: true, arguments: { 'x-message-ttl': 999 } });
  });

  afterAll(async () => {
    await probe?.dispose();
    await broker?.remove({ queues: [conflicting] });
    await broker?.close();
  });

  it('parks the message once with the reason instead of requeueing it forever', async () => {
    const queue = probe.server.queues()[0];
    broker.publish(probe.exchange, 'hostile.conflict', '{"n":1}', { messageId: 'conflict-1', headers: { tenant: 'acme' } });
    const parked = await waitFor('the parked message', () => broker.take(deadLetterQueueName(queue)), { timeoutMs: 20_000 });
    const headers = parked.properties.headers!;
    expect(parked.properties.messageId).toBe('conflict-1');
    expect(headers[HEADER_ERROR_TYPE]).toBe('Error');
    expect(headers[HEADER_ERROR_MESSAGE]).toContain('downstream unavailable');
    expect(headers[HEADER_ERROR_MESSAGE]).toContain('the original headers were left out');
    expect(headers).not.toHaveProperty('tenant');
    const calls = probe.app.get(Calls);
    await holdsFor('one delivery, nothing left to loop on', async () => calls.count === 1 && (await broker.ready(queue)) === 0, {
      durationMs: 1_500,
      intervalMs: 150,
    });
    expect(await broker.ready(deadLetterQueueName(queue))).toBe(0);
    expect(probe.server.consumerStatus()[0]).toMatchObject({ consuming: true, attached: true });
  });
});

@Controller()
class RefusingHandler {
  constructor(private readonly calls: Calls) {}

  @HandleEvent('hostile.refused')
  onRefused(): void {
    this.calls.count += 1;
    throw new NonRetryableError('customer unknown');
  }
}

describe('when no copy of ours can be published at all', () => {
  let probe: ProbeApp;
  let broker: BrokerProbe;

  beforeAll(async () => {
    probe = await startProbeApp('hostile-nocopy', [RefusingHandler], {}, [Calls]);
    broker = await BrokerProbe.open();
  });

  afterAll(async () => {
    jest.restoreAllMocks();
    await probe?.dispose();
    await broker?.close();
  });

  it("rejects the message into the queue's broker-side dead-letter route: kept, and the queue moves on", async () => {
    const queue = probe.server.queues()[0];
    // Only the copies fail (as an unencodable one would), with an error that is not the broker's.
    const publisher = probe.app.get(RabbitPublisher);
    const publishRaw = jest.spyOn(publisher, 'publishRaw').mockRejectedValue(new TypeError('cannot encode this copy'));
    broker.publish(probe.exchange, 'hostile.refused', '{"n":1}', { messageId: 'no-copy-1', headers: { tenant: 'acme' } });
    const parked = await waitFor('the message in the DLQ', () => broker.take(deadLetterQueueName(queue)), { timeoutMs: 20_000 });
    expect(publishRaw).toHaveBeenCalledTimes(2); // the bounded copy, then the minimal one
    expect(parked.properties.messageId).toBe('no-copy-1');
    expect(parked.properties.headers!.tenant).toBe('acme');
    const deaths = parked.properties.headers!['x-death'] as { reason: string; queue: string }[];
    expect(deaths[0]).toMatchObject({ reason: 'rejected', queue });
    const calls = probe.app.get(Calls);
    await holdsFor('one delivery only', async () => calls.count === 1 && (await broker.ready(queue)) === 0, { durationMs: 1_000, intervalMs: 150 });
  });
});
