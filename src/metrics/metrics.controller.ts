import { Controller, Get, Header } from '@nestjs/common';
import { RabbitMetrics } from '../rabbitmq/index.js';

/** Prometheus scrape endpoint: the transport's metrics plus the default process metrics. */
@Controller('metrics')
export class MetricsController {
  constructor(private readonly metrics: RabbitMetrics) {}

  @Get()
  @Header('Content-Type', 'text/plain; version=0.0.4; charset=utf-8')
  scrape(): Promise<string> {
    return this.metrics.registry.metrics();
  }
}
