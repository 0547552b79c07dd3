import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Controller } from '@nestjs/common';
import { Payload } from '@nestjs/microservices';
import type { ConsumeMessage } from 'amqplib';
import request from 'supertest';
import { INVENTORY_STOCK } from '../src/inventory/inventory-queries.js';
import { HandleRequest } from '../src/rabbitmq/index.js';
import { RabbitConnections, RabbitMetrics, requestQueueName, resolveRabbitMQOptions } from '../src/rabbitmq/admin.js';
import { BrokerProbe } from './support/broker.js';
import { queueArgumentsOnBroker } from './support/queue-arguments.js';
import { type DemoApp, startDemoApp } from './support/demo-app.js';
import { type ProbeApp, startProbeApp } from './support/probe-app.js';
import { waitFor } from './support/wait-for.js';

/**
 * Issue 21, point 1: a request's `reply_to` is the requester's word, and the broker is not
 * forgiving about it. RabbitMQ 3.10 closes the whole connection (541 INTERNAL_ERROR) that
 * publishes to `amq.rabbitmq.reply-to.<pid>.<key>` when the pid does not decode — when replies
 * went out on the publisher's connection, every such request failed the `POST /orders` beside it.
 * Runs against the shared broker: the only connection the attack closes is the service's own.
 */

/** Direct reply-to addresses the broker refuses by closing the publishing connection (measured on 3.10.8). */
const REFUSED_ADDRESSES = [
  // Not a pid at all: caught by the address's form, never sent.
  'amq.rabbitmq.reply-to.AAAA.BBBB',
  // The form of a real address (an Erlang pid term), on a node that does not exist: only the broker can tell.
  'amq.rabbitmq.reply-to.g1h2AA1yZXBseUA5MjQ4ODg1AAATTQAAAABrFQMn.S7c2cWBHnqSE7p8w2GP7+g==',
];

/** A body the demo's inventory handler answers (a stock level). */
function stockRequest(): string {
  return JSON.stringify({ pattern: INVENTORY_STOCK, data: { sku: 'sku-1' }, id: randomUUID() });
}

describe('reply addresses a requester cannot abuse (demo service, shared broker)', () => {
  let demo: DemoApp;
  let broker: BrokerProbe;
  let requestQueue: string;

  beforeAll(async () => {
    demo = await startDemoApp('reply-address');
    broker = await BrokerProbe.open();
    requestQueue = requestQueueName(demo.config.rabbitmq.exchange!, INVENTORY_STOCK);
  });

  afterAll(async () => {
    await broker?.close();
    await demo?.dispose();
  });

  /** Requests of the inventory queue the service has settled (all are acked, answered or not). */
  async function handledRequests(): Promise<number> {
    const metric = await demo.app.get(RabbitMetrics).consumed.get();
    return metric.values.filter((value) => value.labels.queue === requestQueue).reduce((sum, value) => sum + value.value, 0);
  }

  /** Publishes one request as any AMQP client could, and waits until the service has handled it. */
  async function sendRequest(properties: { replyTo: string; correlationId?: string }): Promise<void> {
    const before = await handledRequests();
    broker.publish('', requestQueue, stockRequest(), { contentType: 'application/json', correlationId: randomUUID(), ...properties });
    await waitFor('the service to handle the request', async () => (await handledRequests()) > before);
  }

  async function droppedReplies(reason: string): Promise<number> {
    const metric = await demo.app.get(RabbitMetrics).repliesDropped.get();
    return metric.values.find((value) => value.labels.reason === reason)?.value ?? 0;
  }

  it('requests with refused reply addresses, interleaved with 20 POST /orders: every order is accepted (202)', async () => {
    const http = request(demo.app.getHttpServer());
    const statuses: number[] = [];
    for (let i = 0; i < 20; i++) {
      await sendRequest({ replyTo: REFUSED_ADDRESSES[i % REFUSED_ADDRESSES.length] });
      const response = await http.post('/orders').send({ customerId: `c-${i}`, items: [{ sku: 'sku-1', quantity: 1 }] });
      statuses.push(response.status);
    }
    // Before: 9 of 20 got 202 (the rest 503: the publisher connection was closed under them).
    // Orders now go through the outbox, which would answer 202 anyway: what says the attack missed
    // the publisher is that its connection never reconnected.
    expect(statuses.filter((status) => status === 202)).toHaveLength(20);
    const connections = demo.app.get(RabbitConnections);
    expect(connections.state('publisher').reconnects).toBe(0);
    // The malformed ones are dropped before the broker sees them; the well-formed unknown pid is
    // refused by the broker on the reply connection, which then comes back by itself.
    expect(await droppedReplies('invalid_address')).toBeGreaterThanOrEqual(10);
    await waitFor('a refused reply to be counted', async () => (await droppedReplies('refused')) >= 1);
    expect(connections.state('replies').reconnects).toBeGreaterThanOrEqual(1);
    // Readiness shows the replies connection and stays up: an attacker must not take a replica out of service.
    await waitFor('the replies connection back', () => connections.state('replies').connected);
    const ready = await http.get('/health/ready');
    expect(ready.status).toBe(200);
    expect(
      (ready.body as { details: { rabbitmq: { connections: Record<string, { reconnects: number }> } } }).details.rabbitmq.connections,
    ).toMatchObject({
      publisher: { connected: true, reconnects: 0 },
      replies: { connected: true, reconnects: expect.any(Number) },
    });
    const metrics = await demo.app.get(RabbitMetrics).registry.metrics();
    expect(metrics).toContain('warren_connection_up{role="replies"} 1');
    expect(metrics).toMatch(/warren_connection_reconnects\{role="replies"\} [1-9]/);
    expect(metrics).toContain('warren_connection_reconnects{role="publisher"} 0');
    await waitFor('the stock lookup (request/reply) to answer again', async () => (await http.get('/inventory/sku-1')).status === 200, {
      timeoutMs: 20_000,
      intervalMs: 200,
    });
  });

  it('a reply_to naming a queue gets no reply there (only direct reply-to, or a queue the allowedReplyQueues option lists)', async () => {
    const victim = `t-reply-victim-${randomUUID()}`;
    await broker.channel.assertQueue(victim, { durable: false, autoDelete: true });
    const dropped = await droppedReplies('invalid_address');
    await sendRequest({ replyTo: victim });
    expect(await droppedReplies('invalid_address')).toBe(dropped + 1);
    // Before: the stock level was delivered to the victim queue.
    expect(await broker.ready(victim)).toBe(0);
    await broker.channel.deleteQueue(victim);
  });

  it('the correlationId echoed in a reply is bounded and made printable (no CR, LF or ESC)', async () => {
    const replies: ConsumeMessage[] = [];
    const { consumerTag } = await broker.channel.consume('amq.rabbitmq.reply-to', (message) => message && replies.push(message), { noAck: true });
    try {
      const forged = 'id-1\r\nX-Forged: yes\u001b[2J\u001b]0;pwned\u0007';
      await sendRequest({ replyTo: 'amq.rabbitmq.reply-to', correlationId: forged });
      const long = 'é'.repeat(127); // 254 bytes: a legal AMQP short string
      await sendRequest({ replyTo: 'amq.rabbitmq.reply-to', correlationId: long });
      await waitFor('both replies', () => replies.length >= 2);
      const [first, second] = replies.map((reply) => String(reply.properties.correlationId));
      // Before: echoed as sent, CR, LF, ESC and BEL included.
      expect(first).toBe('id-1\\r\\nX-Forged: yes\\u001b[2J\\u001b]0;pwned\\u0007');
      // eslint-disable-next-line no-control-regex -- no control character may be left
      expect(first).not.toMatch(/[\r\n\u001b\u0007]/);
      expect(Buffer.byteLength(second)).toBeLessThanOrEqual(128);
      expect(long.startsWith(second)).toBe(true);
      // The reply itself still answers the request: a stock level.
      expect(JSON.parse(replies[0].content.toString())).toMatchObject({ response: { sku: 'sku-1' } });
    } finally {
      await broker.channel.cancel(consumerTag);
    }
  });

  it('the request queue is bounded like the other queues warren declares (x-max-length, drop-head)', async () => {
    // Before: { 'x-queue-type': 'quorum' } only.
    expect(await queueArgumentsOnBroker(requestQueue)).toMatchObject({
      'x-max-length': resolveRabbitMQOptions(demo.config.rabbitmq).requests.queueMaxLength,
      'x-overflow': 'drop-head',
    });
  });
});

const ECHO = `reply-address.${randomUUID().slice(0, 8)}.echo`;

@Controller()
class EchoResponder {
  @HandleRequest(ECHO)
  echo(@Payload() input: unknown): unknown {
    return input;
  }
}

describe('a reply queue the allowedReplyQueues option lists (probe service, shared broker)', () => {
  const allowed = `t-reply-allowed-${randomUUID()}`;
  let service: ProbeApp;
  let broker: BrokerProbe;

  beforeAll(async () => {
    broker = await BrokerProbe.open();
    await broker.channel.assertQueue(allowed, { durable: false, autoDelete: false });
    service = await startProbeApp('reply-allowed', [EchoResponder], { requests: { allowedReplyQueues: [allowed] } });
  });

  afterAll(async () => {
    await broker?.channel.deleteQueue(allowed).catch(() => undefined);
    await broker?.close();
    await service?.dispose();
  });

  it('gets the reply, with the correlationId echoed', async () => {
    const queue = requestQueueName(service.exchange, ECHO);
    broker.publish('', queue, JSON.stringify({ pattern: ECHO, data: { n: 7 }, id: 'r-1' }), { replyTo: allowed, correlationId: 'r-1' });
    const reply = await waitFor('the reply in the allowed queue', () => broker.take(allowed));
    expect(reply.properties.correlationId).toBe('r-1');
    expect(JSON.parse(reply.content.toString())).toMatchObject({ response: { n: 7 }, isDisposed: true });
  });
});
