import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import type { ResolvedRabbitMQOptions } from '../options/rabbitmq-options.interface.js';
import { RABBITMQ_RESOLVED_OPTIONS } from '../rabbitmq.constants.js';
import { RabbitServer } from '../server/rabbit-server.js';
import type { PauseReason } from '../server/queue-consumer.js';
import { RabbitMetrics } from './rabbitmq-metrics.js';

/**
 * Every reason a queue can be paused for. Each one is exported per queue as 0 or 1 (never left out),
 * so a dashboard or alert on a reason has a series before the first pause happens.
 */
const PAUSE_REASONS: readonly PauseReason[] = ['kill-switch', 'dead-letter-queue-full', 'shutdown', 'memory', 'event-loop', 'in-flight-bytes'];

/**
 * The gauges operators need to see *why* consumption stopped: each queue's pause reasons and
 * kill-switch state, and the process's memory and event-loop delay against the limits that pause
 * it. Read from live state when Prometheus scrapes, like RabbitMetricsCollector's gauges.
 */
@Injectable()
export class FlowMetricsCollector implements OnModuleInit {
  constructor(
    @Inject(RABBITMQ_RESOLVED_OPTIONS) private readonly options: ResolvedRabbitMQOptions,
    private readonly metrics: RabbitMetrics,
    private readonly server: RabbitServer,
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
