import { Module, type OnModuleInit } from '@nestjs/common';
import { collectDefaultMetrics } from 'prom-client';
import { RabbitMetrics } from '../rabbitmq/admin.js';
import { MetricsServer } from './metrics-server.js';

/** Prometheus metrics, served by MetricsServer on METRICS_PORT (not on the API port). */
@Module({ providers: [MetricsServer], exports: [MetricsServer] })
export class MetricsModule implements OnModuleInit {
  constructor(private readonly metrics: RabbitMetrics) {}

  /** Process metrics (CPU, RSS, heap, event-loop lag, GC) on the same registry. */
  onModuleInit(): void {
    collectDefaultMetrics({ register: this.metrics.registry });
  }
}
