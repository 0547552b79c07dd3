import { describe, expect, it, jest } from '@jest/globals';
import type { Logger } from '@nestjs/common';
import type { Options } from 'amqplib';
import { RabbitMetrics } from '../metrics/rabbitmq-metrics.js';
import { MAX_UNROUTED_KEY_LABELS, UnroutedReturns } from './unrouted-returns.js';

function returned(routingKey: string, headers: Record<string, unknown> = {}) {
  return {
    content: Buffer.from('{"a":1}'),
    fields: { routingKey } as never,
    properties: { messageId: `m-${routingKey}`, contentType: 'application/json', headers, correlationId: undefined } as never,
  };
}

function setup(keepCopies = true, logIntervalMs = 60_000) {
  const unroutedQueue = keepCopies ? 'ex.unrouted' : undefined;
  const metrics = new RabbitMetrics();
  const warn = jest.fn();
  const kept: { queue: string; properties: Options.Publish }[] = [];
  const returns = new UnroutedReturns({
    metrics,
    logger: { warn } as unknown as Logger,
    unroutedQueue,
    logIntervalMs,
    keep: (queue, _content, properties) => {
      kept.push({ queue, properties });
      return Promise.resolve();
    },
  });
  return { metrics, warn, kept, returns };
}

describe('UnroutedReturns', () => {
  it('counts by routing key, keeps a copy with the original key, and logs once per key per interval', async () => {
    const { metrics, warn, kept, returns } = setup();
    returns.returned(returned('order.shipped'));
    returns.returned(returned('order.shipped'));
    returns.returned(returned('user.deleted'));
    expect(await metrics.registry.getSingleMetricAsString('warren_publishes_unrouted_total')).toContain(
      'warren_publishes_unrouted_total{routing_key="order.shipped"} 2',
    );
    expect(kept).toHaveLength(3);
    expect(kept[0]).toMatchObject({
      queue: 'ex.unrouted',
      properties: { messageId: 'm-order.shipped', headers: { 'x-original-routing-key': 'order.shipped' } },
    });
    expect(kept[0].properties).not.toHaveProperty('correlationId');
    expect(warn).toHaveBeenCalledTimes(2);
    expect(warn.mock.calls[0][0]).toContain("routing key 'order.shipped'");
  });

  it('logs a key again once unroutedLogIntervalMs has passed, with the count in between', () => {
    const now = jest.spyOn(Date, 'now').mockReturnValue(1_000_000);
    try {
      const { warn, returns } = setup(false, 5_000);
      returns.returned(returned('order.shipped'));
      now.mockReturnValue(1_004_999);
      returns.returned(returned('order.shipped'));
      expect(warn).toHaveBeenCalledTimes(1);
      now.mockReturnValue(1_005_000);
      returns.returned(returned('order.shipped'));
      expect(warn).toHaveBeenCalledTimes(2);
      expect(warn.mock.calls[1][0]).toContain('(1 more since the last report)');
      expect(warn.mock.calls[1][0]).toContain('at most once per 5 s per key');
    } finally {
      now.mockRestore();
    }
  });

  it(`labels at most ${MAX_UNROUTED_KEY_LABELS} keys, the rest as 'other'`, async () => {
    const { metrics, returns } = setup(false);
    for (let i = 0; i < MAX_UNROUTED_KEY_LABELS + 50; i++) returns.returned(returned(`k.${i}`));
    const text = await metrics.registry.getSingleMetricAsString('warren_publishes_unrouted_total');
    expect(text.split('\n').filter((line) => line.startsWith('warren_publishes_unrouted_total{'))).toHaveLength(MAX_UNROUTED_KEY_LABELS + 1);
    expect(text).toContain('warren_publishes_unrouted_total{routing_key="other"} 50');
  });

  it('keeps no copy when unroutedMaxLength is 0, and escapes control characters in the log', () => {
    const { warn, kept, returns } = setup(false);
    returns.returned(returned('evil\nkey'));
    expect(kept).toHaveLength(0);
    expect(warn.mock.calls[0][0]).toContain('evil\\nkey');
    expect(warn.mock.calls[0][0]).toContain('no copy is kept');
  });
});
