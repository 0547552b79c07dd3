import { Injectable } from '@nestjs/common';
import { HealthIndicatorService } from '@nestjs/terminus';
import { OutboxRelay } from '../rabbitmq/admin.js';
import { AppDatabase } from './app-database.js';

/** A ping slower than this counts as PostgreSQL unreachable (a partition must not hang the probe). */
const PING_TIMEOUT_MS = 2_000;

/**
 * Readiness of the PostgreSQL side: down when a `SELECT 1` fails or takes over PING_TIMEOUT_MS
 * (orders cannot be accepted). Details: the outbox backlog (events waiting for the broker and
 * the age of the oldest), which is why the service stays ready while the broker is away.
 */
@Injectable()
export class DatabaseHealthIndicator {
  constructor(
    private readonly health: HealthIndicatorService,
    private readonly database: AppDatabase,
    private readonly relay: OutboxRelay,
  ) {}

  async isReady(key = 'database') {
    const indicator = this.health.check(key);
    const backlog = this.relay.backlog;
    const outbox = { pending: backlog?.pending ?? null, oldestPendingSeconds: backlog ? Math.round(backlog.oldestAgeMs / 1000) : null };
    const problem = (await this.ping()) ?? this.schemaProblem();
    return problem === undefined ? indicator.up({ outbox }) : indicator.down({ outbox, reasons: [problem] });
  }

  /**
   * PostgreSQL answers but was unreachable at start: its tables are being migrated (within seconds). The demo's and
   * the outbox's are migrated apart: ready only when both are, or the first order would be refused.
   */
  private schemaProblem(): string | undefined {
    const migrated = this.database.schemaReady && this.relay.schemaReady;
    return migrated ? undefined : 'the database schema is not migrated yet (PostgreSQL was unreachable at start; retrying)';
  }

  /** Undefined when PostgreSQL answered in time, else what went wrong (never the URL: it may hold a password). */
  private async ping(): Promise<string | undefined> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<string>((resolve) => {
      timer = setTimeout(() => resolve(`PostgreSQL did not answer within ${PING_TIMEOUT_MS} ms`), PING_TIMEOUT_MS).unref();
    });
    const ping = this.database.pool.query('SELECT 1').then(
      () => undefined,
      (error: unknown) => `PostgreSQL unreachable: ${error instanceof Error ? error.message : String(error)}`,
    );
    try {
      return await Promise.race([ping, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }
}
