import { describe, expect, it } from '@jest/globals';
import type { FlowStatus } from '../flow/flow-control.js';
import type { QueueConsumerStatus } from '../server/queue-consumer.js';
import type { RabbitServer } from '../server/rabbit-server.js';
import { FlowMetricsCollector } from './flow-metrics.collector.js';
import { RabbitMetrics } from './rabbitmq-metrics.js';

function consumer(queue: string, overrides: Partial<QueueConsumerStatus> = {}): QueueConsumerStatus {
  return {
    queue,
    prefetch: 10,
    window: 10,
    consumerPrefetch: 10,
    attached: true,
    consuming: true,
    pausedFor: [],
    killSwitch: 'closed',
    inFlight: 0,
    running: 0,
    ordered: false,
    holding: false,
    deadLetterQueue: `${queue}.dlq`,
    lastProgressAt: 0,
    ...overrides,
  };
}

async function scrape(consumers: QueueConsumerStatus[], flow: Partial<FlowStatus> = {}): Promise<string> {
  const metrics = new RabbitMetrics();
  const server = {
    consumerStatus: () => consumers,
    flowStatus: (): FlowStatus => ({
      paused: false,
      reasons: [],
      inFlightBytes: 0,
      memoryBytes: 1_000,
      memoryMeasure: 'rss',
      eventLoopDelayMs: 12,
      ...flow,
    }),
  } as unknown as RabbitServer;
  const options = { memoryHighWatermarkBytes: 700_000_000, eventLoopDelayLimitMs: 1_000 };
  new FlowMetricsCollector(options, metrics, server).onModuleInit();
  return metrics.registry.metrics();
}

describe('FlowMetricsCollector', () => {
  it('exports every pause reason of every queue as 0 or 1', async () => {
    const text = await scrape([consumer('a', { pausedFor: ['memory', 'kill-switch'] }), consumer('b', { pausedFor: ['dead-letter-queue-full'] })]);
    expect(text).toContain('warren_consumer_pause_reason{queue="a",reason="memory"} 1');
    expect(text).toContain('warren_consumer_pause_reason{queue="a",reason="dead-letter-queue-full"} 0');
    expect(text).toContain('warren_consumer_pause_reason{queue="b",reason="dead-letter-queue-full"} 1');
    expect(text).toContain('warren_consumer_pause_reason{queue="a",reason="kill-switch"} 1');
    expect(text).toContain('warren_consumer_pause_reason{queue="a",reason="event-loop"} 0');
    expect(text).toContain('warren_consumer_pause_reason{queue="b",reason="memory"} 0');
    expect(text.split('\n').filter((line) => line.startsWith('warren_consumer_pause_reason{'))).toHaveLength(12);
  });

  it('reports a kill switch as open only while it is open (not on trial)', async () => {
    const text = await scrape([consumer('a', { killSwitch: 'open' }), consumer('b', { killSwitch: 'trial' }), consumer('c')]);
    expect(text).toContain('warren_kill_switch_open{queue="a"} 1');
    expect(text).toContain('warren_kill_switch_open{queue="b"} 0');
    expect(text).toContain('warren_kill_switch_open{queue="c"} 0');
  });

  it('puts memory and event-loop delay next to the limits that pause consumption', async () => {
    const text = await scrape([], { memoryBytes: 123_456, memoryMeasure: 'heap', eventLoopDelayMs: 250 });
    expect(text).toContain('warren_memory_bytes{measure="heap"} 123456');
    expect(text).toContain('warren_memory_high_watermark_bytes 700000000');
    expect(text).toContain('warren_event_loop_delay_seconds 0.25');
    expect(text).toContain('warren_event_loop_delay_limit_seconds 1');
  });
});
