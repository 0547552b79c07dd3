import { Controller, Get, ServiceUnavailableException } from '@nestjs/common';
import { HealthCheck, HealthCheckService } from '@nestjs/terminus';
import { AppConfig } from '../config/app-config.js';
import { DatabaseHealthIndicator } from '../database/database.health.js';
import { RabbitLifecycle, RabbitMQHealthIndicator } from '../rabbitmq/admin.js';
import { ProcessHealthIndicator } from './process.health.js';

/** Kubernetes probes. Only combines the indicators; each lives with what it checks. */
@Controller('health')
export class HealthController {
  private brokerWasReady = false;

  constructor(
    private readonly health: HealthCheckService,
    private readonly process: ProcessHealthIndicator,
    private readonly rabbitmq: RabbitMQHealthIndicator,
    private readonly database: DatabaseHealthIndicator,
    private readonly lifecycle: RabbitLifecycle,
    private readonly config: AppConfig,
  ) {}

  /** Liveness: the process only, never the broker or the database. */
  @Get('live')
  @HealthCheck()
  live() {
    return this.health.check([() => this.process.isAlive()]);
  }

  /**
   * Readiness: PostgreSQL answers, shutdown has not begun, and the broker side is ready — except
   * that once it has been ready, the broker being away (a connection down, or blocking
   * publishers) no longer takes the instance out: orders go through the outbox, so the service
   * accepts them meanwhile (up to the outbox's high watermark, then 503 per request) and the relay
   * publishes them when it is back. The broker's state stays in the details (`brokerAway`). Until
   * the first ready answer it counts: a replica with a wrong AMQP_URL or credentials never
   * becomes ready. Other broker-side problems (a stuck consumer, a topology conflict) still count.
   * The details (queue names and depths, consumers, outbox backlog) are for operators, and this
   * port is open to any client: they are shown only with READINESS_DETAILS=true; otherwise the
   * status and its code alone, which is all a probe reads (the same figures are on METRICS_PORT).
   */
  @Get('ready')
  @HealthCheck()
  async ready() {
    const check = this.health.check([() => this.broker(), () => this.database.isReady()]);
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

  private async broker() {
    const result = await this.rabbitmq.isReady();
    const detail = result.rabbitmq as {
      status: 'up' | 'down';
      connections: Record<'publisher' | 'consumer', { connected: boolean; blocked: boolean }>;
    };
    if (detail.status === 'up') {
      this.brokerWasReady = true;
      return result;
    }
    const { publisher, consumer } = detail.connections;
    const away = !publisher.connected || !consumer.connected || publisher.blocked || consumer.blocked;
    if (!away || !this.brokerWasReady || this.lifecycle.isShuttingDown) {
      return result;
    }
    return { rabbitmq: { ...detail, status: 'up' as const, brokerAway: true } };
  }
}
