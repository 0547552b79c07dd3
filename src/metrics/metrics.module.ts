import { Module, type OnModuleInit } from '@nestjs/common';
import { collectDefaultMetrics } from 'prom-client';
import { RabbitMetrics } from '../rabbitmq/index.js';
import { MetricsController } from './metrics.controller.js';

@Module({ controllers: [MetricsController] })
export class MetricsModule implements OnModuleInit {
  constructor(private readonly metrics: RabbitMetrics) {}

  /** Process metrics (CPU, RSS, heap, event-loop lag, GC) on the same registry. */
  onModuleInit(): void {
    collectDefaultMetrics({ register: this.metrics.registry });
  }
}
