import { afterEach, describe, expect, it } from '@jest/globals';
import { Controller, Injectable } from '@nestjs/common';
import { Ctx, MessagePattern, Payload } from '@nestjs/microservices';
import { IsString } from 'class-validator';
import { lastValueFrom, map, of } from 'rxjs';
import { RequestNotSentError } from '../admin.js';
import {
  HandleEvent,
  HandleRequest,
  RabbitClient,
  RabbitContext,
  type RabbitMQModuleOptions,
  RemoteHandlerError,
  RequestTimeoutError,
  Retry,
} from '../index.js';
import { HandlerHarness } from './index.js';

/** What the probe handler saw of each delivery. */
@Injectable()
class Seen {
  readonly deliveries: { payload: unknown; retries: number; messageId: string; correlationId?: string }[] = [];
}

@Controller()
class ProbeHandler {
  constructor(
    private readonly seen: Seen,
    private readonly events: RabbitClient,
  ) {}

  @HandleEvent('probe.record')
  onRecord(@Payload() payload: unknown, @Ctx() context: RabbitContext): void {
    this.seen.deliveries.push({
      payload,
      retries: context.getRetryCount(),
      messageId: context.getMessageId(),
      correlationId: context.getCorrelationId(),
    });
  }

  @HandleEvent('probe.flaky')
  @Retry({ attempts: 2, delaysMs: [250] })
  onFlaky(@Ctx() context: RabbitContext): void {
    this.seen.deliveries.push({ payload: null, retries: context.getRetryCount(), messageId: context.getMessageId() });
    throw new Error(`attempt ${context.getRetryCount()} failed`);
  }

  @HandleEvent('probe.slow', { timeoutMs: 20 })
  async onSlow(): Promise<void> {
    await new Promise((resolve) => setTimeout(resolve, 1_000).unref());
  }

  @HandleEvent('probe.emit')
  async onEmit(@Payload() payload: { size: number }): Promise<void> {
    await lastValueFrom(this.events.emit('probe.emitted', { blob: 'x'.repeat(payload.size) }));
  }
}

describe('HandlerHarness', () => {
  let harness: HandlerHarness;

  afterEach(() => harness?.close());

  const create = (options: Partial<RabbitMQModuleOptions> = {}) => HandlerHarness.create({ handlers: [ProbeHandler], providers: [Seen], options });

  it('registers each handler as production does: own queue named after class and method', async () => {
    harness = await create({ serviceName: 'billing' });
    expect(harness.handlers().map((definition) => [definition.queue, definition.pattern, definition.timeoutMs])).toEqual([
      ['billing.probe.record', 'probe.record', 30_000],
      ['billing.probe.flaky', 'probe.flaky', 30_000],
      ['billing.probe.slow', 'probe.slow', 20],
      ['billing.probe.emit', 'probe.emit', 30_000],
    ]);
  });

  it('routes by binding pattern: a key no handler is bound for reaches none', async () => {
    harness = await create();
    expect((await harness.publish('probe.nobody', {})).results).toEqual([]);
  });

  it('hands the handler the payload, the message id and a plain correlation id', async () => {
    harness = await create();
    await harness.publish('probe.record', { a: 1 }, { messageId: 'm-1', correlationId: 'c-1' });
    await harness.publish('probe.record', { a: 2 }, { correlationId: 'bad\r\nid' });
    const [first, second] = harness.get(Seen).deliveries;
    expect(first).toEqual({ payload: { a: 1 }, retries: 0, messageId: 'm-1', correlationId: 'c-1' });
    expect(second.correlationId).toBeUndefined();
  });

  it('decodes msgpack and Nest {pattern, data} envelopes with the production decoder', async () => {
    harness = await create();
    await harness.publish('probe.record', { packed: true }, { codec: 'msgpack' });
    await harness.publishRaw('probe.record', JSON.stringify({ pattern: 'probe.record', data: { wrapped: true } }), {
      contentType: 'application/json',
    });
    expect(harness.get(Seen).deliveries.map((delivery) => delivery.payload)).toEqual([{ packed: true }, { wrapped: true }]);
  });

  it('parks a body over maxMessageBytes undecoded, and nested JSON deeper than maxJsonDepth as DecodeError', async () => {
    harness = await create({ encoding: { maxMessageBytes: 64, maxJsonDepth: 3 } });
    const large = await harness.publishRaw('probe.record', JSON.stringify({ blob: 'x'.repeat(100) }));
    const deep = await harness.publishRaw('probe.record', '{"a":{"b":{"c":{"d":1}}}}');
    expect(large.result).toMatchObject({ kind: 'dead-letter', errorType: 'MessageTooLargeError', retryable: false });
    expect(deep.result).toMatchObject({ kind: 'dead-letter', errorType: 'DecodeError', retryable: false });
    expect(harness.get(Seen).deliveries).toEqual([]);
  });

  it('follows @Retry: each retry copy comes back with x-retry-count and the same (derived) message id, then parks', async () => {
    harness = await create();
    // No message id from this producer: warren derives one, and every copy keeps it.
    const first = (await harness.publishRaw('probe.flaky', '{}', { timestamp: 1_700_000_000 })).result;
    const attempts = await harness.retryUntilSettled(first);

    expect(attempts.map((result) => [result.kind, result.kind === 'retry' ? result.delayMs : undefined])).toEqual([
      ['retry', 250],
      ['retry', 250],
      ['dead-letter', undefined],
    ]);
    expect(attempts.at(-1)).toMatchObject({ retryCount: 2, errorMessage: 'attempt 2 failed' });
    const seen = harness.get(Seen).deliveries;
    expect(seen.map((delivery) => delivery.retries)).toEqual([0, 1, 2]);
    expect(new Set(seen.map((delivery) => delivery.messageId)).size).toBe(1);
    const last = attempts.at(-1);
    expect(last?.kind === 'dead-letter' && last.copy).toMatchObject({
      messageId: seen[0].messageId,
      headers: { 'x-handler': 'probe.flaky', 'x-original-routing-key': 'probe.flaky', 'x-retry-count': 2, 'x-error-type': 'Error' },
    });
  });

  it('uses the module retry option for handlers without @Retry', async () => {
    harness = await create({ consume: { retry: { attempts: 1, delaysMs: [42] } } });
    const result = (await harness.publish('probe.record', { a: 1 })).result;
    expect(result.kind).toBe('ack');
    const slow = (await harness.publish('probe.slow', {})).result;
    expect(slow).toMatchObject({ kind: 'retry', delayMs: 42, errorType: 'HandlerTimeoutError', errorMessage: 'handler did not settle within 20 ms' });
  });

  it('records what emit() publishes, and fails the handler (parked) for an onward event over maxMessageBytes', async () => {
    harness = await create({ encoding: { maxMessageBytes: 200 } });
    const small = await harness.publish('probe.emit', { size: 10 });
    expect(small.result.kind).toBe('ack');
    expect(small.published.map((event) => [event.pattern, event.payload, event.properties.contentType])).toEqual([
      ['probe.emitted', { blob: 'x'.repeat(10) }, 'application/json'],
    ]);
    const large = await harness.publish('probe.emit', { size: 500 });
    expect(large.result).toMatchObject({ kind: 'dead-letter', errorType: 'MessageTooLargeError' });
    expect(large.published).toEqual([]);
  });

  it('refuses a handler class registered as a provider, as production does', async () => {
    await expect(HandlerHarness.create({ providers: [ProbeHandler, Seen] })).rejects.toThrow(
      /Move ProbeHandler from its module's `providers` to its `controllers`/,
    );
  });
});

class SkuQuery {
  @IsString()
  sku!: string;
}

/** Request handlers, and an event handler that asks one of them. */
@Controller()
class ProbeResponder {
  constructor(private readonly client: RabbitClient) {}

  @HandleRequest('probe.lookup')
  async lookup(@Payload() query: SkuQuery): Promise<{ sku: string; units: number }> {
    await this.client.publish('probe.looked-up', { sku: query.sku });
    return { sku: query.sku, units: 7 };
  }

  // @Retry does not apply to requests: a reply after the caller gave up answers nobody.
  @HandleRequest('probe.broken')
  @Retry({ attempts: 3, delaysMs: [10] })
  broken(): never {
    throw new Error('warehouse unreachable');
  }

  @HandleRequest('probe.stalled', { timeoutMs: 30 })
  async stalled(): Promise<string> {
    await new Promise((resolve) => setTimeout(resolve, 1_000).unref());
    return 'too late';
  }

  @HandleRequest('probe.unhurried')
  async unhurried(): Promise<string> {
    await new Promise((resolve) => setTimeout(resolve, 1_000).unref());
    return 'eventually';
  }

  /** Nest's own decorator: an Observable's last value is the reply; a thrown Error's message is hidden by Nest's filter. */
  @MessagePattern('probe.plain')
  plain(@Payload() input: { k: number; fail?: boolean }) {
    if (input.fail) {
      throw new Error('secret detail');
    }
    return of(1, 2, 3).pipe(map((x) => x * input.k));
  }

  @HandleEvent('probe.asking')
  async onAsking(@Payload() event: { sku: string }): Promise<void> {
    const level = await this.client.request<{ units: number }>('probe.lookup', { sku: event.sku });
    await this.client.publish('probe.answered', level);
  }
}

describe('HandlerHarness request/reply', () => {
  let harness: HandlerHarness;

  afterEach(() => harness?.close());

  const create = (options: Partial<RabbitMQModuleOptions> = {}) => HandlerHarness.create({ handlers: [ProbeResponder], options });

  const rejectionOf = async (promise: Promise<unknown>): Promise<unknown> =>
    promise.then(
      () => {
        throw new Error('expected the request to fail, it resolved');
      },
      (error: unknown) => error,
    );

  it('registers a request handler as production does: queue <exchange>.rpc.<pattern>, kind request', async () => {
    harness = await create({ exchange: 'shop.events' });
    expect(harness.handlers().map((definition) => [definition.queue, definition.kind])).toContainEqual(['shop.events.rpc.probe.lookup', 'request']);
  });

  it('answers with the handler value; the record shows it replied to the caller, acked', async () => {
    harness = await create();
    await expect(harness.request('probe.lookup', { sku: 'sku-1' })).resolves.toEqual({ sku: 'sku-1', units: 7 });

    const delivery = await harness.deliverRequest('probe.lookup', { sku: 'sku-2' });
    expect(delivery.result).toMatchObject({
      kind: 'replied',
      queue: 'warren.events.rpc.probe.lookup',
      handler: 'probe-responder.lookup',
      reply: { value: { sku: 'sku-2', units: 7 } },
      // The address of the requester's channel, as a broker rewrites amq.rabbitmq.reply-to.
      replyTo: expect.stringMatching(/^amq\.rabbitmq\.reply-to\.[^.]+\.[^.]+$/),
      sent: true,
    });
    expect(delivery.published.map((event) => event.pattern)).toEqual(['probe.looked-up']);
    // Nest's reply packet, keyed by the request's correlation id.
    const result = delivery.result as { correlationId: string; content: Buffer };
    expect(JSON.parse(result.content.toString())).toEqual({ id: result.correlationId, response: { sku: 'sku-2', units: 7 }, isDisposed: true });
  });

  it('a failing handler is answered with its error as RemoteHandlerError, once: never retried nor parked', async () => {
    harness = await create();
    const error = await rejectionOf(harness.request('probe.broken', {}));
    expect(error).toBeInstanceOf(RemoteHandlerError);
    expect(error).toMatchObject({ pattern: 'probe.broken', remoteType: 'Error', remoteMessage: 'warehouse unreachable' });
    const delivery = await harness.deliverRequest('probe.broken', {});
    expect(delivery.result).toMatchObject({ kind: 'replied', reply: { error: { type: 'Error', message: 'warehouse unreachable' } } });
  });

  it('a payload its DTO rejects is answered with a ValidationError naming the field', async () => {
    harness = await create();
    const error = await rejectionOf(harness.request('probe.lookup', { sku: 42 }));
    expect(error).toMatchObject({ remoteType: 'ValidationError' });
    expect((error as RemoteHandlerError).remoteMessage).toContain('sku');
  });

  it("a handler past its own timeoutMs is answered with HandlerTimeoutError; past the caller's, the caller gets RequestTimeoutError", async () => {
    harness = await create();
    expect(await rejectionOf(harness.request('probe.stalled', {}, { timeoutMs: 10_000 }))).toMatchObject({ remoteType: 'HandlerTimeoutError' });

    const started = Date.now();
    const error = await rejectionOf(harness.request('probe.unhurried', {}, { timeoutMs: 50 }));
    expect(error).toBeInstanceOf(RequestTimeoutError);
    expect(error).toMatchObject({ timeoutMs: 50, pattern: 'probe.unhurried' });
    expect(Date.now() - started).toBeLessThan(900);
    await expect(harness.request('probe.unhurried', {}, { timeoutMs: 10_000 })).resolves.toBe('eventually');
  });

  it('a pattern no handler serves fails at once with RequestNotSentError, as the broker returns it', async () => {
    harness = await create();
    const error = await rejectionOf(harness.request('probe.nobody', {}));
    expect(error).toBeInstanceOf(RequestNotSentError);
    expect((error as Error).message).toContain("no queue 'warren.events.rpc.probe.nobody'");
  });

  it('a plain @MessagePattern replies with the last value of its Observable; a thrown Error comes back as Nest filtered it', async () => {
    harness = await create();
    await expect(harness.request('probe.plain', { k: 5 })).resolves.toBe(15);
    expect(await rejectionOf(harness.request('probe.plain', { k: 1, fail: true }))).toMatchObject({
      remoteType: 'RpcException',
      remoteMessage: 'Internal server error',
    });
  });

  it('a reply the publisher cannot send never arrives: the caller times out', async () => {
    harness = await create();
    harness.publisher.failWith(new Error('channel closed'));
    expect(await rejectionOf(harness.request('probe.lookup', { sku: 'sku-1' }, { timeoutMs: 100 }))).toBeInstanceOf(RequestTimeoutError);
    expect((await harness.deliverRequest('probe.lookup', { sku: 'sku-1' })).result).toMatchObject({ kind: 'replied', sent: false });
  });

  it('a handler asking over RabbitClient.request() is answered by the harness, carrying its correlation id; events never reach request handlers', async () => {
    harness = await create();
    const delivery = await harness.publish('probe.asking', { sku: 'sku-3' }, { correlationId: 'corr-ask' });
    expect(delivery.result.kind).toBe('ack');
    // The asked handler's event carries the asking message's correlation id (the request's header).
    expect(delivery.published.map((event) => [event.pattern, event.payload, event.properties.correlationId])).toEqual([
      ['probe.looked-up', { sku: 'sku-3' }, 'corr-ask'],
      ['probe.answered', { sku: 'sku-3', units: 7 }, 'corr-ask'],
    ]);
    expect((await harness.publish('probe.lookup', { sku: 'sku-1' })).results).toEqual([]);
  });
});
