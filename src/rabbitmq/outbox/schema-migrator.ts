import type { LoggerService } from '@nestjs/common';
import { isDatabaseUnreachable } from './database-unreachable.js';
import { ThrottledWarning } from './throttled-warning.js';

/** While PostgreSQL cannot be reached, the migration is tried again this often. */
const MIGRATION_RETRY_MS = 2_000;
/** At most one "still unreachable" warning per this interval. */
const WARN_INTERVAL_MS = 30_000;

/**
 * Applies a schema's migrations at start — or, when PostgreSQL cannot be reached then, as soon as
 * it can: the app starts without its database (readiness down, requests refused with 503) and
 * recovers without a restart, instead of exiting and crash-looping. A migration that fails for
 * any other reason (a broken statement) still stops the start: that is a bug, not an outage.
 * `ready` says whether the tables exist; callers refuse work until then.
 */
export class SchemaMigrator {
  private migrated = false;
  private stopped = false;
  private timer?: NodeJS.Timeout;
  private readonly unreachable: ThrottledWarning;

  constructor(
    /** e.g. `outbox schema`, for the log lines. */
    private readonly name: string,
    /** Runs the migrations (idempotent); returns the versions it applied. */
    private readonly migrate: () => Promise<number[]>,
    private readonly logger: Pick<LoggerService, 'log' | 'warn'>,
    private readonly retryMs = MIGRATION_RETRY_MS,
  ) {
    this.unreachable = new ThrottledWarning(logger, WARN_INTERVAL_MS);
  }

  /** True once the migrations ran to the end. */
  get ready(): boolean {
    return this.migrated;
  }

  /** Migrates now; when PostgreSQL is unreachable, resolves at once and keeps trying in the background. */
  async start(): Promise<void> {
    try {
      await this.attempt();
    } catch (error) {
      if (!isDatabaseUnreachable(error)) {
        throw error;
      }
      this.unreachable.warn(
        `PostgreSQL is unreachable, starting without it: the ${this.name} is migrated once it answers (trying every ${this.retryMs} ms)`,
        error,
      );
      this.schedule();
    }
  }

  /** No more attempts (shutdown). */
  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.attempt().catch((error: unknown) => {
        this.unreachable.warn(`the ${this.name} is not migrated yet (trying every ${this.retryMs} ms)`, error);
        this.schedule();
      });
    }, this.retryMs).unref();
  }

  private async attempt(): Promise<void> {
    const applied = await this.migrate();
    this.migrated = true;
    if (applied.length > 0) {
      this.logger.log(`${this.name} migrated (versions ${applied.join(', ')})`);
    } else if (this.timer !== undefined) {
      this.logger.log(`${this.name}: PostgreSQL answers, the schema is up to date`);
    }
  }
}
