import { afterEach, describe, expect, it } from '@jest/globals';
import { Controller, Injectable } from '@nestjs/common';
import { Ctx, MessagePattern, Payload } from '@nestjs/microservices';
import { lastValueFrom } from 'rxjs';
import { HandlerRegistrationError } from '../admin.js';
import { HandleEvent, RabbitClient, RabbitContext, Retry } from '../index.js';
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

  const create = (options = {}) => HandlerHarness.create({ handlers: [ProbeHandler], providers: [Seen], options });

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
    harness = await create({ maxMessageBytes: 64, maxJsonDepth: 3 });
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
    harness = await create({ retry: { attempts: 1, delaysMs: [42] } });
    const result = (await harness.publish('probe.record', { a: 1 })).result;
    expect(result.kind).toBe('ack');
    const slow = (await harness.publish('probe.slow', {})).result;
    expect(slow).toMatchObject({ kind: 'retry', delayMs: 42, errorType: 'HandlerTimeoutError', errorMessage: 'handler did not settle within 20 ms' });
  });

  it('records what emit() publishes, and fails the handler (parked) for an onward event over maxMessageBytes', async () => {
    harness = await create({ maxMessageBytes: 200 });
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

  it('refuses a @MessagePattern handler as production does', async () => {
    @Controller()
    class RequestHandler {
      @MessagePattern('probe.request')
      answer(): string {
        return 'no';
      }
    }
    await expect(HandlerHarness.create({ handlers: [RequestHandler] })).rejects.toBeInstanceOf(HandlerRegistrationError);
  });
});
