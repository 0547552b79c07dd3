import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { Controller, Injectable, ValidationPipe } from '@nestjs/common';
import { Ctx, Payload } from '@nestjs/microservices';
import { IsInt, Min } from 'class-validator';
import { NonRetryableError, HandleEvent, RabbitContext, Retry } from '../src/rabbitmq/index.js';
import { deadLetterQueueName, retryQueueName } from '../src/rabbitmq/admin.js';
import { BrokerProbe } from './support/broker.js';
import { type ProbeApp, startProbeApp } from './support/probe-app.js';
import { waitFor } from './support/wait-for.js';

const DELAYS = [300, 600, 900];

class QuantityDto {
  @IsInt()
  @Min(1)
  quantity!: number;
}

interface Delivery {
  handler: string;
  at: number;
  retryCount: number;
  messageId?: string;
}

@Injectable()
class Deliveries {
  readonly seen: Delivery[] = [];
  failuresLeft = new Map<string, number>();

  record(handler: string, context: RabbitContext): void {
    this.seen.push({ handler, at: Date.now(), retryCount: context.getRetryCount(), messageId: context.getMessageId() });
  }

  of(handler: string): Delivery[] {
    return this.seen.filter((d) => d.handler === handler);
  }

  /** Throws while the handler has failures left. */
  failIfScheduled(handler: string): void {
    const left = this.failuresLeft.get(handler) ?? 0;
    if (left > 0) {
      this.failuresLeft.set(handler, left - 1);
      throw new Error(`downstream of ${handler} unavailable`);
    }
  }
}

@Controller()
class FailingHandlers {
  constructor(private readonly deliveries: Deliveries) {}

  @HandleEvent('fail.always')
  @Retry({ attempts: 3, delaysMs: DELAYS })
  always(@Payload() _data: unknown, @Ctx() context: RabbitContext): void {
    this.deliveries.record('always', context);
    throw new Error('downstream is down');
  }

  @HandleEvent('fail.twice')
  @Retry({ attempts: 3, delaysMs: [200] })
  twice(@Payload() _data: unknown, @Ctx() context: RabbitContext): void {
    this.deliveries.record('twice', context);
    this.deliveries.failIfScheduled('twice');
  }

  @HandleEvent('poison.dto')
  validated(@Payload(new ValidationPipe()) _dto: QuantityDto, @Ctx() context: RabbitContext): void {
    this.deliveries.record('dto', context);
  }

  @HandleEvent('poison.refused')
  refused(@Payload() _data: unknown, @Ctx() context: RabbitContext): void {
    this.deliveries.record('refused', context);
    throw new NonRetryableError('order references a deleted customer');
  }

  @HandleEvent('shared.event')
  @Retry({ attempts: 2, delaysMs: [150] })
  sharedFailing(@Payload() _data: unknown, @Ctx() context: RabbitContext): void {
    this.deliveries.record('shared-failing', context);
    throw new Error('always fails');
  }

  @HandleEvent('shared.event')
  sharedHealthy(@Payload() _data: unknown, @Ctx() context: RabbitContext): void {
    this.deliveries.record('shared-healthy', context);
  }
}

describe('failure handling on the real broker', () => {
  let probeApp: ProbeApp;
  let broker: BrokerProbe;
  let deliveries: Deliveries;
  const queueOf = (suffix: string) => `${probeApp.serviceName}.failing.${suffix}`;
  const publish = (key: string, body: unknown, options = {}) =>
    broker.publish(probeApp.exchange, key, typeof body === 'string' ? body : JSON.stringify(body), {
      contentType: 'application/json',
      ...options,
    });

  beforeAll(async () => {
    probeApp = await startProbeApp('failures', [FailingHandlers], { consume: { killSwitch: { enabled: false } } }, [Deliveries]);
    deliveries = probeApp.app.get(Deliveries);
    broker = await BrokerProbe.open();
  });

  afterEach(() => {
    deliveries.seen.length = 0;
  });

  afterAll(async () => {
    await broker?.close();
    if (probeApp) {
      const retryQueues = probeApp.server.queues().flatMap((q) => [...DELAYS, 150, 200].map((d) => retryQueueName(q, d)));
      await probeApp.dispose();
      const cleanup = await BrokerProbe.open();
      await cleanup.remove({ queues: retryQueues });
      await cleanup.close();
    }
  });

  it('retries an always-failing handler exactly `attempts` times, spaced by the delays, then parks it with reasons', async () => {
    publish('fail.always', { n: 1 }, { messageId: 'm-always' });
    const parked = await waitFor('the message in the DLQ', () => broker.take(deadLetterQueueName(queueOf('always'))), {
      timeoutMs: 15_000,
    });
    const seen = deliveries.of('always');
    expect(seen.map((d) => d.retryCount)).toEqual([0, 1, 2, 3]);
    expect(seen.every((d) => d.messageId === 'm-always')).toBe(true);
    for (let retry = 1; retry < seen.length; retry++) {
      expect(seen[retry].at - seen[retry - 1].at).toBeGreaterThanOrEqual(DELAYS[retry - 1]);
    }
    expect(JSON.parse(parked.content.toString())).toEqual({ n: 1 });
    expect(parked.properties.messageId).toBe('m-always');
    expect(parked.properties.headers).toMatchObject({
      'x-error-type': 'Error',
      'x-error-message': 'downstream is down',
      'x-failed-at': expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      'x-retry-count': 3,
      'x-original-routing-key': 'fail.always',
      'x-handler': 'failing.always',
    });
    // Nothing further: the message is parked, not looping.
    expect(await broker.ready(queueOf('always'))).toBe(0);
  });

  it('acks on the third delivery of a handler that fails twice; nothing reaches the DLQ', async () => {
    deliveries.failuresLeft.set('twice', 2);
    publish('fail.twice', { n: 2 });
    await waitFor('the successful third delivery', () => deliveries.of('twice').length === 3 && deliveries.failuresLeft.get('twice') === 0, {
      timeoutMs: 10_000,
    });
    expect(deliveries.of('twice').map((d) => d.retryCount)).toEqual([0, 1, 2]);
    await waitFor('the retry queue to be drained', async () => (await broker.ready(retryQueueName(queueOf('twice'), 200))) === 0);
    expect(await broker.ready(deadLetterQueueName(queueOf('twice')))).toBe(0);
  });

  it.each([
    ['bad JSON', 'fail.twice', '{"broken"', {}, 'DecodeError', 'twice'],
    ['an unknown content-type', 'fail.twice', 'hello', { contentType: 'application/x-unknown' }, 'DecodeError', 'twice'],
    ['an unknown content-encoding', 'fail.twice', '{}', { contentEncoding: 'br' }, 'DecodeError', 'twice'],
    ['a DTO-invalid payload', 'poison.dto', { quantity: 0 }, {}, 'ValidationError', 'dto'],
    ['a NonRetryableError', 'poison.refused', { n: 1 }, {}, 'NonRetryableError', 'refused'],
  ])('dead-letters %s at once (no retry), delivered at most once', async (_case, key, body, options, errorType, handler) => {
    const queue = handler === 'dto' ? queueOf('validated') : handler === 'refused' ? queueOf('refused') : queueOf('twice');
    publish(key, body, options);
    // Deadlines, not speed claims: x-retry-count 0 is what says it was parked at once.
    const parked = await waitFor('the poison message in the DLQ', () => broker.take(deadLetterQueueName(queue)), { timeoutMs: 10_000 });
    expect(parked.properties.headers).toMatchObject({ 'x-error-type': errorType, 'x-retry-count': 0 });
    // Undecodable or invalid messages never reach the handler; the others reach it once, never again.
    expect(deliveries.of(handler).length).toBe(errorType === 'NonRetryableError' ? 1 : 0);
    expect(await broker.ready(queue)).toBe(0);
  });

  it('parks a message over maxMessageBytes once, undecoded, instead of requeueing it forever', async () => {
    const body = JSON.stringify({ blob: 'x'.repeat(1_500_000) }); // over the 256 KiB default
    publish('poison.refused', body, { messageId: 'm-huge' });
    const parked = await waitFor('the oversized message in the DLQ', () => broker.take(deadLetterQueueName(queueOf('refused'))), {
      timeoutMs: 10_000,
    });
    expect(parked.properties.headers).toMatchObject({ 'x-error-type': 'MessageTooLargeError' });
    expect(parked.content.length).toBe(body.length);
    expect(deliveries.of('refused')).toHaveLength(0);
    expect(await broker.ready(queueOf('refused'))).toBe(0);
    expect(await broker.ready(deadLetterQueueName(queueOf('refused')))).toBe(0); // exactly one copy
  });

  it('dead-letters a message its queue has no handler for (an unrouted key) at once', async () => {
    broker.publish('', queueOf('twice'), JSON.stringify({ stray: 1 }));
    const parked = await waitFor('the unrouted message in the DLQ', () => broker.take(deadLetterQueueName(queueOf('twice'))), {
      timeoutMs: 10_000,
    });
    expect(parked.properties.headers).toMatchObject({ 'x-error-type': 'NoHandlerError', 'x-retry-count': 0 });
    expect(deliveries.of('twice')).toHaveLength(0);
  });

  it('keeps two handlers of one event apart: the healthy one sees each message exactly once while the other retries', async () => {
    const ids = ['s-1', 's-2', 's-3', 's-4', 's-5'];
    for (const id of ids) {
      publish('shared.event', { id }, { messageId: id });
    }
    await waitFor('all 5 failures parked', async () => (await broker.ready(deadLetterQueueName(queueOf('shared-failing')))) === 5, {
      timeoutMs: 15_000,
    });
    expect(deliveries.of('shared-failing')).toHaveLength(15); // 1 + 2 retries each
    const healthy = deliveries
      .of('shared-healthy')
      .map((d) => d.messageId)
      .sort();
    expect(healthy).toEqual(ids);
  });
});
