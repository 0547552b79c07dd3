import type { LoggerService } from '@nestjs/common';
import { redactText } from '../logging/redact-url.js';

/**
 * One recurring condition's warning (PostgreSQL unreachable, retried every few hundred ms or seconds), written at most
 * once per `intervalMs`, with the error's message (passwords in URLs masked); the ones in between are dropped.
 */
export class ThrottledWarning {
  private lastAt = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly logger: Pick<LoggerService, 'warn'>,
    private readonly intervalMs: number,
  ) {}

  warn(what: string, error: unknown): void {
    const now = performance.now();
    if (now - this.lastAt >= this.intervalMs) {
      this.lastAt = now;
      this.logger.warn(`${what}: ${redactText(error instanceof Error ? error.message : String(error))}`);
    }
  }
}
