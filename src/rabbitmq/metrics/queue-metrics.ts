import type { Counter, Histogram } from 'prom-client';
import type { ConsumeOutcome, RabbitMetrics } from './rabbitmq-metrics.js';

/**
 * The consume metrics of one queue with their labels bound once: prom-client hashes the label
 * object on every `inc({...})` / `observe({...})`, which showed in the drain profile at tens of
 * thousands of messages per second.
 */
export class QueueMetrics {
  private readonly duration: Histogram.Internal<'queue'>;
  private readonly outcomes = new Map<ConsumeOutcome, Counter.Internal>();

  constructor(
    private readonly metrics: RabbitMetrics,
    private readonly queue: string,
  ) {
    this.duration = metrics.handlerDuration.labels({ queue });
  }

  settled(outcome: ConsumeOutcome): void {
    let counter = this.outcomes.get(outcome);
    if (!counter) {
      counter = this.metrics.consumed.labels({ queue: this.queue, outcome });
      this.outcomes.set(outcome, counter);
    }
    counter.inc();
  }

  handled(seconds: number): void {
    this.duration.observe(seconds);
  }
}
