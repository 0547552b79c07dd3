import { Injectable } from '@nestjs/common';
import { Counter, Histogram } from 'prom-client';
import { RabbitMetrics } from './rabbitmq-metrics.js';

/** The outbox's and inbox's metrics, on the transport's registry. */
@Injectable()
export class OutboxMetrics {
  readonly published: Counter;
  readonly retried: Counter;
  readonly dead: Counter;
  readonly leaseLost: Counter;
  readonly commitToConfirm: Histogram;
  readonly inboxDuplicates: Counter<'queue'>;

  constructor(metrics: RabbitMetrics) {
    const registers = [metrics.registry];
    this.published = new Counter({ name: 'warren_outbox_published_total', help: 'Outbox rows published and confirmed by the broker.', registers });
    this.retried = new Counter({
      name: 'warren_outbox_retried_total',
      help: 'Outbox rows that could not be published (unroutable, nacked, rejected) and wait for another attempt.',
      registers,
    });
    this.dead = new Counter({
      name: 'warren_outbox_dead_total',
      help: 'Outbox rows moved to warren_outbox_dead after their last attempt (listed by the dlq CLI).',
      registers,
    });
    this.leaseLost = new Counter({
      name: 'warren_outbox_lease_lost_total',
      help: 'Rows this relay published after its lease had expired and another relay had re-claimed them (published twice).',
      registers,
    });
    this.commitToConfirm = new Histogram({
      name: 'warren_outbox_commit_to_confirm_seconds',
      help: "Time from an outbox row's commit to the broker's confirm of its publish.",
      buckets: [0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300],
      registers,
    });
    this.inboxDuplicates = new Counter({
      name: 'warren_inbox_duplicates_total',
      help: 'Deliveries the inbox found already processed (same message id and queue), acked without running their effects.',
      labelNames: ['queue'] as const,
      registers,
    });
  }

  /** Pending rows and the oldest one's age, read from the relay's last count at scrape time. */
  watchBacklog(metrics: RabbitMetrics, read: () => { pending: number; oldestAgeMs: number } | undefined): void {
    metrics.gauge('warren_outbox_pending', 'Outbox rows not yet published (as last counted by the relay, every second).', [], (set) => {
      const backlog = read();
      if (backlog) set({}, backlog.pending);
    });
    metrics.gauge('warren_outbox_oldest_pending_seconds', 'Age of the oldest outbox row not yet published.', [], (set) => {
      const backlog = read();
      if (backlog) set({}, backlog.oldestAgeMs / 1000);
    });
  }
}
