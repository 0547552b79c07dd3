import { randomUUID } from 'node:crypto';
import { Controller } from '@nestjs/common';
import { ClientProxyFactory, MessagePattern, Payload, Transport } from '@nestjs/microservices';
import { IsString } from 'class-validator';
import { firstValueFrom, map, of } from 'rxjs';
import { DependencyUnavailableError, HandleRequest, RabbitClient, RemoteHandlerError, RequestTimeoutError } from '../src/rabbitmq/index.js';
import {
  RabbitMetrics,
  RequestConnectionLostError,
  RequestNotSentError,
  RequestsInFlightExceededError,
  requestQueueName,
} from '../src/rabbitmq/admin.js';
import { DIRECT_REPLY_TO } from '../src/rabbitmq/rpc/rabbit-requester.js';
import { BrokerProbe, SHARED_AMQP_URL } from './support/broker.js';
import { type ProbeApp, startProbeApp } from './support/probe-app.js';
import { TcpProxy } from './support/tcp-proxy.js';
import { waitFor } from './support/wait-for.js';

/**
 * Request/reply against the real broker: `@HandleRequest` / `@MessagePattern` handlers answer
 * `client.request()` / `send()` over direct reply-to; every failure ends the request with a typed
 * error, at once (never by hanging until the timeout unless the timeout is the cause).
 */

// Patterns are fixed at class definition: unique per run, so runs never share request queues.
const RUN = randomUUID().slice(0, 8);
const ADD = `rpc-test.${RUN}.add`;
const SCALE = `rpc-test.${RUN}.scale`;
const FAIL = `rpc-test.${RUN}.fail`;
const SLOW = `rpc-test.${RUN}.slow`;
const HANG = `rpc-test.${RUN}.hang`;
const PLAIN = `rpc-test.${RUN}.plain`;
const LOOKUP = `rpc-test.${RUN}.lookup`;
const FLAKY = `rpc-test.${RUN}.flaky`;

/** What the slow handler saw, and the gate it waits on (opened by each test). */
const slow = { seen: [] as string[], open: (): void => undefined, gate: Promise.resolve() };
function closeGate(): void {
  slow.gate = new Promise<void>((resolve) => (slow.open = resolve));
}
let hangCalls = 0;

@Controller()
class CalculatorHandler {
  @HandleRequest(ADD)
  add(@Payload() input: { a: number; b: number }): number {
    return input.a + input.b;
  }

  /** An Observable's last value is the reply. */
  @HandleRequest(SCALE)
  scale(@Payload() input: { k: number }) {
    return of(1, 2, 3).pipe(map((x) => x * input.k));
  }

  @HandleRequest(FAIL)
  fail(): never {
    throw new Error('sku-1 is out of stock');
  }

  /** One at a time, so a second request waits in the queue while the first is held. */
  @HandleRequest(SLOW, { prefetch: 1 })
  async slow(@Payload() input: { id: string }): Promise<string> {
    slow.seen.push(input.id);
    await slow.gate;
    return input.id;
  }

  /** Runs past its own handler timeout. */
  @HandleRequest(HANG, { timeoutMs: 300 })
  async hang(): Promise<string> {
    hangCalls += 1;
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    return 'too late';
  }

  /** Nest's own decorator, without warren's interceptor and pipe. */
  @MessagePattern(PLAIN)
  plain(@Payload() input: unknown): { echoed: unknown } {
    return { echoed: input };
  }
}

/** Request queue of a pattern in the probe app's exchange. */
let exchange = '';
function rq(pattern: string): string {
  return requestQueueName(exchange, pattern);
}

class SkuQuery {
  @IsString()
  sku!: string;
}

@Controller()
class GuardedHandler {
  @HandleRequest(LOOKUP)
  lookup(@Payload() query: SkuQuery): string {
    return query.sku;
  }

  @HandleRequest(FLAKY)
  flaky(): never {
    throw new DependencyUnavailableError('downstream is down'); // counted by the kill switch
  }
}

async function outcomeCount(app: ProbeApp, outcome: string): Promise<number> {
  const metric = await app.app.get(RabbitMetrics).requests.get();
  return metric.values.find((value) => value.labels.outcome === outcome)?.value ?? 0;
}

async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected the request to fail, it resolved');
}

describe('request/reply (client.request / send, @HandleRequest / @MessagePattern)', () => {
  let service: ProbeApp;
  let client: RabbitClient;
  let broker: BrokerProbe;

  beforeAll(async () => {
    broker = await BrokerProbe.open();
    service = await startProbeApp('rpc', [CalculatorHandler], { requests: { maxInFlight: 3, timeoutMs: 10_000 } });
    client = service.app.get(RabbitClient);
    exchange = service.exchange;
  });

  afterAll(async () => {
    slow.open();
    await service?.dispose();
    await broker?.close();
  });

  beforeEach(() => {
    closeGate();
    slow.seen = [];
  });
  afterEach(() => slow.open());

  it('replies with the return value, a Promise, or the last value of an Observable; send() is the Observable form', async () => {
    await expect(client.request(ADD, { a: 2, b: 40 })).resolves.toBe(42);
    await expect(client.request(SCALE, { k: 5 })).resolves.toBe(15);
    await expect(firstValueFrom(client.send(ADD, { a: 1, b: 1 }))).resolves.toBe(2);
    await expect(client.request(PLAIN, { x: 1 })).resolves.toEqual({ echoed: { x: 1 } });
    expect(await outcomeCount(service, 'replied')).toBeGreaterThanOrEqual(4);
    const latency = await service.app.get(RabbitMetrics).requestDuration.get();
    expect(latency.values.some((value) => value.labels.outcome === 'replied' && value.metricName?.endsWith('_count') && value.value >= 4)).toBe(true);
  });

  it('a handler error comes back at once as RemoteHandlerError with the remote type and message, not as a timeout', async () => {
    const started = Date.now();
    const error = await rejectionOf(client.request(FAIL, {}, { timeoutMs: 20_000 }));
    expect(error).toBeInstanceOf(RemoteHandlerError);
    expect(error).toMatchObject({ remoteType: 'Error', remoteMessage: 'sku-1 is out of stock', pattern: FAIL });
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(await outcomeCount(service, 'remote_error')).toBeGreaterThanOrEqual(1);
  });

  it('a handler past its own timeout is answered with HandlerTimeoutError once, acked: no retry, no DLQ', async () => {
    hangCalls = 0;
    const error = await rejectionOf(client.request(HANG, {}, { timeoutMs: 20_000 }));
    expect(error).toBeInstanceOf(RemoteHandlerError);
    expect(error).toMatchObject({ remoteType: 'HandlerTimeoutError' });
    expect(hangCalls).toBe(1);
    // Never retried through delay queues nor parked: none of those queues exists, the request queue is empty.
    await expect(broker.ready(`${rq(HANG)}.dlq`)).rejects.toThrow();
    await expect(broker.ready(`${rq(HANG)}.retry.1000`)).rejects.toThrow();
    expect(await broker.ready(rq(HANG))).toBe(0);
  });

  it('times out with RequestTimeoutError at the per-call timeout; the late reply is dropped and counted', async () => {
    const late = await service.app.get(RabbitMetrics).lateReplies.get();
    const lateBefore = late.values[0]?.value ?? 0;
    const started = Date.now();
    const error = await rejectionOf(client.request(SLOW, { id: 'a' }, { timeoutMs: 400 }));
    expect(error).toBeInstanceOf(RequestTimeoutError);
    expect(error).toMatchObject({ timeoutMs: 400 });
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(await outcomeCount(service, 'timeout')).toBeGreaterThanOrEqual(1);
    // The handler answers after the caller gave up: that reply matches nothing.
    await waitFor('the handler to get the request', () => slow.seen.includes('a'));
    slow.open();
    await waitFor(
      'the late reply to be counted',
      async () => ((await service.app.get(RabbitMetrics).lateReplies.get()).values[0]?.value ?? 0) > lateBefore,
    );
  });

  it('a request carries expiration = its timeout: one its caller gave up on expires in the queue, unhandled', async () => {
    const held = client.request(SLOW, { id: 'held' }, { timeoutMs: 20_000 });
    await waitFor('the first request to hold the handler', () => slow.seen.includes('held'));
    const abandoned = rejectionOf(client.request(SLOW, { id: 'abandoned' }, { timeoutMs: 500 }));
    expect(await abandoned).toBeInstanceOf(RequestTimeoutError);
    // Still held: the broker drops the expired request from the queue without delivering it.
    await waitFor('the abandoned request to expire in the queue', async () => (await broker.ready(rq(SLOW))) === 0, {
      timeoutMs: 15_000,
    });
    slow.open();
    await expect(held).resolves.toBe('held');
    expect(slow.seen).toEqual(['held']);
  });

  it('beyond maxRequestsInFlight a request fails at once with RequestsInFlightExceededError', async () => {
    const pending = ['1', '2', '3'].map((id) => client.request(SLOW, { id }, { timeoutMs: 20_000 }));
    const error = await rejectionOf(client.request(ADD, { a: 1, b: 2 }));
    expect(error).toBeInstanceOf(RequestsInFlightExceededError);
    expect(await outcomeCount(service, 'shed')).toBeGreaterThanOrEqual(1);
    slow.open();
    await expect(Promise.all(pending)).resolves.toEqual(['1', '2', '3']);
    // Room again once they are answered.
    await expect(client.request(ADD, { a: 1, b: 2 })).resolves.toBe(3);
  });

  it('a pattern nobody serves fails at once with RequestNotSentError (no queue for it), not a timeout', async () => {
    const started = Date.now();
    const error = await rejectionOf(client.request(`rpc-test.${RUN}.nobody`, {}, { timeoutMs: 20_000 }));
    expect(error).toBeInstanceOf(RequestNotSentError);
    expect((error as Error).message).toContain(`no queue '${rq(`rpc-test.${RUN}.nobody`)}'`);
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  it("Nest's ClientRMQ.send calls a warren handler (queue <exchange>.rpc.<pattern>, noAssert) and gets replies and errors", async () => {
    const nest = ClientProxyFactory.create({
      transport: Transport.RMQ,
      options: { urls: [SHARED_AMQP_URL], queue: rq(ADD), noAssert: true },
    });
    const nestFail = ClientProxyFactory.create({
      transport: Transport.RMQ,
      options: { urls: [SHARED_AMQP_URL], queue: rq(FAIL), noAssert: true },
    });
    try {
      await expect(firstValueFrom(nest.send(ADD, { a: 20, b: 22 }))).resolves.toBe(42);
      await expect(firstValueFrom(nestFail.send(FAIL, {}))).rejects.toMatchObject({ type: 'Error', message: 'sku-1 is out of stock' });
    } finally {
      await nest.close();
      await nestFail.close();
    }
  });
});

describe('request/reply when the connection drops', () => {
  let proxy: TcpProxy;
  let caller: ProbeApp;
  let responder: ProbeApp;

  beforeAll(async () => {
    // The responder on the broker directly; the caller through a proxy whose connections we cut.
    responder = await startProbeApp('rpc-responder', [CalculatorHandler]);
    proxy = await TcpProxy.start({ port: Number(new URL(SHARED_AMQP_URL).port || 5672) });
    caller = await startProbeApp('rpc-caller', [], { urls: [proxy.url()], exchange: responder.exchange, requests: { timeoutMs: 60_000 } });
  });

  afterAll(async () => {
    slow.open();
    await caller?.dispose();
    await responder?.dispose();
    await proxy?.close();
  });

  it('every pending request fails at once with RequestConnectionLostError; requests work again after the reconnect', async () => {
    closeGate();
    slow.seen = [];
    const client = caller.app.get(RabbitClient);
    await waitFor('the caller to reach the responder', () => client.request(ADD, { a: 1, b: 1 }).then((sum) => sum === 2));
    const pending = ['p1', 'p2', 'p3'].map((id) => rejectionOf(client.request(SLOW, { id })));
    await waitFor('the first request to reach the handler', () => slow.seen.length > 0);
    const cutAt = Date.now();
    proxy.dropConnections();
    const errors = await Promise.all(pending);
    expect(Date.now() - cutAt).toBeLessThan(5_000); // not the 60 s timeout
    for (const error of errors) {
      expect(error).toBeInstanceOf(RequestConnectionLostError);
    }
    expect(await outcomeCount(caller, 'connection_lost')).toBe(3);
    slow.open();
    await waitFor(
      'requests to succeed after the reconnect',
      () =>
        client.request(ADD, { a: 2, b: 2 }).then(
          (sum) => sum === 4,
          () => false,
        ),
      {
        timeoutMs: 30_000,
        intervalMs: 250,
      },
    );
  });
});

describe('request handlers get the decode, validation and kill-switch treatment of event handlers', () => {
  let service: ProbeApp;
  let client: RabbitClient;
  let broker: BrokerProbe;

  beforeAll(async () => {
    broker = await BrokerProbe.open();
    service = await startProbeApp('rpc-guarded', [GuardedHandler], { consume: { killSwitch: { window: 4, failureRatio: 0.5, cooldownMs: 60_000 } } });
    client = service.app.get(RabbitClient);
    exchange = service.exchange;
  });

  afterAll(async () => {
    await service?.dispose();
    await broker?.close();
  });

  it('a payload its DTO rejects is answered with a ValidationError naming the field', async () => {
    const error = await rejectionOf(client.request(LOOKUP, { sku: 42 }));
    expect(error).toBeInstanceOf(RemoteHandlerError);
    expect(error).toMatchObject({ remoteType: 'ValidationError' });
    expect((error as RemoteHandlerError).remoteMessage).toContain('sku');
    await expect(client.request(LOOKUP, { sku: 'sku-9' })).resolves.toBe('sku-9');
  });

  it('an undecodable request is answered with a DecodeError and acked, never parked', async () => {
    const replyQueue = DIRECT_REPLY_TO;
    const replies: { correlationId: string; body: string }[] = [];
    await broker.channel.consume(
      replyQueue,
      (message) => message && replies.push({ correlationId: message.properties.correlationId as string, body: message.content.toString() }),
      {
        noAck: true,
      },
    );
    broker.publish('', rq(LOOKUP), '{"pattern": "x", not json', { contentType: 'application/json', replyTo: replyQueue, correlationId: 'garbage-1' });
    const reply = await waitFor('the error reply', () => replies.find((r) => r.correlationId === 'garbage-1'));
    expect(JSON.parse(reply.body)).toMatchObject({ err: { type: 'DecodeError' }, isDisposed: true });
    await expect(broker.ready(`${rq(LOOKUP)}.dlq`)).rejects.toThrow();
    expect(await broker.ready(rq(LOOKUP))).toBe(0);
  });

  it('failures trip the kill switch: the queue pauses and further requests time out instead of failing the handler again', async () => {
    for (let i = 0; i < 4; i += 1) {
      expect(await rejectionOf(client.request(FLAKY, {}))).toBeInstanceOf(RemoteHandlerError);
    }
    await waitFor(
      'the kill switch to trip',
      () => service.server.consumerStatus().find((status) => status.queue === rq(FLAKY))?.killSwitch === 'open',
    );
    expect(service.server.consumerStatus().find((status) => status.queue === rq(FLAKY))?.pausedFor).toContain('kill-switch');
    expect(await rejectionOf(client.request(FLAKY, {}, { timeoutMs: 1_000 }))).toBeInstanceOf(RequestTimeoutError);
  });
});
