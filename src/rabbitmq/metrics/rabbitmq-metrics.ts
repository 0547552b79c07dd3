import { Injectable } from '@nestjs/common';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';

/** How a delivery ended, as counted in `warren_messages_consumed_total{outcome}`. */
export type ConsumeOutcome = 'ack' | 'retry' | 'dead_letter' | 'requeue';

/** How a publish ended, as counted in `warren_publishes_total{outcome}`. */
export type PublishOutcome = 'confirmed' | 'failed' | 'shed' | 'unknown';

/** How a request ended, as counted in `warren_requests_total{outcome}`. */
const REQUEST_OUTCOMES = ['replied', 'remote_error', 'timeout', 'connection_lost', 'not_sent', 'shed'] as const;
export type RequestOutcome = (typeof REQUEST_OUTCOMES)[number];

/**
 * The transport's Prometheus metrics, on a registry of its own (not prom-client's global one,
 * so two apps in one process — tests — never share counters). State that already lives
 * elsewhere (connections, flow, queue depth) is read at scrape time through `collect` callbacks
 * registered by the providers that own it, instead of being copied on every change.
 */
@Injectable()
export class RabbitMetrics {
  readonly registry = new Registry();

  readonly consumed = new Counter({
    name: 'warren_messages_consumed_total',
    help: 'Deliveries settled, by queue and outcome (ack, retry, dead_letter, requeue).',
    labelNames: ['queue', 'outcome'] as const,
    registers: [this.registry],
  });

  readonly handlerDuration = new Histogram({
    name: 'warren_handler_duration_seconds',
    help: 'Time from delivery to settlement decision, by queue.',
    labelNames: ['queue'] as const,
    buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [this.registry],
  });

  readonly publishes = new Counter({
    name: 'warren_publishes_total',
    help:
      'Publishes by outcome: confirmed by the broker; failed (nacked: not stored); shed (refused before sending: ' +
      'buffer full, blocked, confirms stalled, no channel); unknown (sent, no answer: confirm timeout or connection lost).',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });

  readonly publishesUnrouted = new Counter({
    name: 'warren_publishes_unrouted_total',
    help: "Confirmed publishes the broker returned as unroutable (no queue bound for the key), by routing key (beyond 100 keys: 'other').",
    labelNames: ['routing_key'] as const,
    registers: [this.registry],
  });

  readonly publishChannelRenewals = new Counter({
    name: 'warren_publish_channel_renewals_total',
    help: 'Publish channels replaced by a fresh one after the broker nacked a publish.',
    registers: [this.registry],
  });

  readonly confirmLatency = new Histogram({
    name: 'warren_publish_confirm_duration_seconds',
    help: 'Time from publish to broker confirm.',
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [this.registry],
  });

  readonly requests = new Counter({
    name: 'warren_requests_total',
    help:
      'Requests sent with client.request()/send(), by outcome: replied; remote_error (the handler failed); timeout; ' +
      'connection_lost (dropped while awaiting the reply); not_sent (no reply channel, or no queue for the pattern); shed (in-flight bound).',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });

  readonly requestDuration = new Histogram({
    name: 'warren_request_duration_seconds',
    help: 'Time from sending a request to its outcome, by outcome (as in warren_requests_total).',
    labelNames: ['outcome'] as const,
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [this.registry],
  });

  constructor() {
    // Every outcome has a series from the start (0), so a timeout-ratio alert has something to
    // compare with before the first timeout, and a typo in an outcome label shows as missing.
    for (const outcome of REQUEST_OUTCOMES) this.requests.inc({ outcome }, 0);
  }

  readonly lateReplies = new Counter({
    name: 'warren_request_late_replies_total',
    help: 'Replies dropped because no request awaits them (it timed out, failed, or was never ours).',
    registers: [this.registry],
  });

  readonly repliesDropped = new Counter({
    name: 'warren_replies_dropped_total',
    help:
      'Replies of request handlers not sent, by reason: invalid_address (replyTo neither a direct reply-to address nor an allowed queue); ' +
      'refused (nacked, or the broker closed the reply channel); not_sent (no reply channel, blocked, or no confirm in time).',
    labelNames: ['reason'] as const,
    registers: [this.registry],
  });

  /** Registers a gauge whose value is read when Prometheus scrapes. */
  gauge<L extends string>(
    name: string,
    help: string,
    labelNames: readonly L[],
    collect: (set: (labels: Record<L, string>, value: number) => void) => void | Promise<void>,
  ): void {
    if (this.registry.getSingleMetric(name)) {
      return;
    }
    new Gauge({
      name,
      help,
      labelNames,
      registers: [this.registry],
      async collect() {
        this.reset();
        await collect((labels, value) => this.set(labels, value));
      },
    });
  }
}
