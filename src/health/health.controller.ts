import { Controller, Get } from '@nestjs/common';
import { HealthCheck, HealthCheckService } from '@nestjs/terminus';
import { RabbitMQHealthIndicator } from '../rabbitmq/admin.js';
import { ProcessHealthIndicator } from './process.health.js';

/** Kubernetes probes. Only combines the indicators; each lives with what it checks. */
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly process: ProcessHealthIndicator,
    private readonly rabbitmq: RabbitMQHealthIndicator,
  ) {}

  /** Liveness: the process only, never the broker. */
  @Get('live')
  @HealthCheck()
  live() {
    return this.health.check([() => this.process.isAlive()]);
  }

  /** Readiness: connected, not blocked, not overloaded, not shutting down; queue depths. */
  @Get('ready')
  @HealthCheck()
  ready() {
    return this.health.check([() => this.rabbitmq.isReady()]);
  }
}
