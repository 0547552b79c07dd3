import type { OnModuleInit } from '@nestjs/common';
import type { RabbitMetrics } from './rabbitmq-metrics.js';
import type { ConsumerStatusSource } from './status-sources.js';

/** The limits the flow gauges are shown against. */
export interface FlowLimits {
  memoryHighWatermarkBytes: number;
  eventLoopDelayLimitMs: number;
}

/**
 * Every reason a queue can be paused for. Each one is exported per queue as 0 or 1 (never left out),
 * so a dashboard or alert on a reason has a series before the first pause happens.
 */
const PAUSE_REASONS: readonly string[] = ['kill-switch', 'dead-letter-queue-full', 'shutdown', 'memory', 'event-loop', 'in-flight-bytes'];

/**
 * The gauges operators need to see *why* consumption stopped: each queue's pause reasons and
 * kill-switch state, and the process's memory and event-loop delay against the limits that pause
 * it. Read from live state when Prometheus scrapes, like RabbitMetricsCollector's gauges.
 */
export class FlowMetricsCollector implements OnModuleInit {
  constructor(
    private readonly options: FlowLimits,
    private readonly metrics: RabbitMetrics,
    private readonly server: ConsumerStatusSource,
  ) {}

  onModuleInit(): void {
    const { metrics, server, options } = this;
    metrics.gauge(
      'warren_consumer_pause_reason',
      '1 while the queue is paused for this reason (kill-switch, dead-letter-queue-full, shutdown, memory, event-loop, in-flight-bytes), else 0.',
      ['queue', 'reason'],
      (set) => {
        for (const status of server.consumerStatus()) {
          for (const reason of PAUSE_REASONS) set({ queue: status.queue, reason }, status.pausedFor.includes(reason) ? 1 : 0);
        }
      },
    );
    metrics.gauge(
      'warren_kill_switch_open',
      "1 while the queue's kill switch is open (deliveries stopped after too many failures), else 0.",
      ['queue'],
      (set) => {
        for (const status of server.consumerStatus()) set({ queue: status.queue }, status.killSwitch === 'open' ? 1 : 0);
      },
    );
    metrics.gauge('warren_memory_bytes', 'Memory the flow control compares with the watermark (measure: rss or heap).', ['measure'], (set) => {
      const flow = server.flowStatus();
      set({ measure: flow.memoryMeasure }, flow.memoryBytes);
    });
    metrics.gauge(
      'warren_memory_high_watermark_bytes',
      'Memory above which consumption pauses (warren_memory_bytes is compared with it).',
      [],
      (set) => {
        set({}, options.memoryHighWatermarkBytes);
      },
    );
    metrics.gauge(
      'warren_event_loop_delay_seconds',
      'Event-loop delay the flow control last measured (consumption pauses above the limit).',
      [],
      (set) => {
        set({}, server.flowStatus().eventLoopDelayMs / 1000);
      },
    );
    metrics.gauge('warren_event_loop_delay_limit_seconds', 'Event-loop delay above which consumption pauses.', [], (set) => {
      set({}, options.eventLoopDelayLimitMs / 1000);
    });
  }
}
