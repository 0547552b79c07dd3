import { Controller, Get, ServiceUnavailableException } from '@nestjs/common';
import { HealthCheck, HealthCheckService } from '@nestjs/terminus';
import { AppConfig } from '../config/app-config.js';
import { RabbitMQHealthIndicator } from '../rabbitmq/admin.js';
import { ProcessHealthIndicator } from './process.health.js';

/** Kubernetes probes. Only combines the indicators; each lives with what it checks. */
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly process: ProcessHealthIndicator,
    private readonly rabbitmq: RabbitMQHealthIndicator,
    private readonly config: AppConfig,
  ) {}

  /** Liveness: the process only, never the broker. */
  @Get('live')
  @HealthCheck()
  live() {
    return this.health.check([() => this.process.isAlive()]);
  }

  /**
   * Readiness: connected, not blocked, not overloaded, not shutting down. Its details (queue
   * names and depths, consumers, memory) are for operators, and this port is open to any client:
   * they are shown only with READINESS_DETAILS=true; otherwise the status and its code alone,
   * which is all a probe reads (the same figures are on METRICS_PORT).
   */
  @Get('ready')
  @HealthCheck()
  async ready() {
    const check = this.health.check([() => this.rabbitmq.isReady()]);
    if (this.config.readinessDetails) {
      return check;
    }
    try {
      await check;
      return { status: 'ok' };
    } catch (error) {
      throw error instanceof ServiceUnavailableException ? new ServiceUnavailableException({ status: 'error' }) : error;
    }
  }
}
