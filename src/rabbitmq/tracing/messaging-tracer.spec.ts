import { describe, expect, it } from '@jest/globals';
import type { ConsumeMessage } from 'amqplib';
import { runWithCorrelationId } from './correlation-context.js';
import { MessagingTracer } from './messaging-tracer.js';

const TRACEPARENT = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';

const delivery = (headers: Record<string, unknown>): ConsumeMessage =>
  ({ content: Buffer.from('{}'), fields: { routingKey: 'order.created', deliveryTag: 1 }, properties: { headers } }) as unknown as ConsumeMessage;

describe('MessagingTracer with no OpenTelemetry SDK registered', () => {
  const tracer = new MessagingTracer();

  it('is off', () => {
    expect(tracer.enabled).toBe(false);
  });

  it("hands the handler the message's trace headers, and a publish inside copies them unchanged", async () => {
    const published: Record<string, unknown>[] = [];
    const message = delivery({ traceparent: TRACEPARENT, tracestate: 'a=b', baggage: 'k=v', other: 'x' });
    const outcome = await tracer.process(message, { queue: 'q', retryCount: 0 }, (carried) =>
      runWithCorrelationId(
        'c-1',
        async () => {
          const headers: Record<string, unknown> = { own: 1 };
          await tracer.publish({ exchange: 'e', routingKey: 'k', messageId: 'm', bodySize: 2 }, headers, async () => published.push(headers));
          return { kind: 'ack' as const };
        },
        carried,
      ),
    );
    expect(outcome).toEqual({ kind: 'ack' });
    expect(published).toEqual([{ own: 1, traceparent: TRACEPARENT, tracestate: 'a=b', baggage: 'k=v' }]);
  });

  it("keeps a publisher's own traceparent, and adds nothing outside a request or message", async () => {
    const own = { traceparent: 'mine' };
    await runWithCorrelationId(
      'c-2',
      () => tracer.publish({ exchange: 'e', routingKey: 'k', messageId: 'm', bodySize: 0 }, own, async () => undefined),
      {
        traceparent: TRACEPARENT,
      },
    );
    expect(own).toEqual({ traceparent: 'mine' });
    const none: Record<string, unknown> = {};
    await tracer.publish({ exchange: 'e', routingKey: 'k', messageId: 'm', bodySize: 0 }, none, async () => undefined);
    expect(none).toEqual({});
  });

  it('leaves a failed delivery untouched (no first-attempt header without a span)', async () => {
    const message = delivery({ traceparent: TRACEPARENT });
    await tracer.process(message, { queue: 'q', retryCount: 0 }, () =>
      Promise.resolve({ kind: 'retry' as const, failure: { type: 'Error', message: 'boom' }, retry: 1, delayMs: 1000 }),
    );
    expect(message.properties.headers).toEqual({ traceparent: TRACEPARENT });
  });
});
