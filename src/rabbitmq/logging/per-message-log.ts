import type { LoggerService } from '@nestjs/common';
import { RepeatedWarningsLimiter } from './repeated-warnings.limiter.js';

type Level = 'warn' | 'error';

/**
 * The lines a queue writes once per message (a retry, a dead letter, a copy that could not be
 * made), limited per kind: a flood of poison messages wrote one line each (3,000 of them gave
 * 1,550 WARN lines, 641 KB, in 9 s). The first line of a kind is written; the rest are counted,
 * and one summary line ("held back N more like …") follows 1 s after the burst ends, or once per 10 s
 * interval while it goes on (RepeatedWarningsLimiter).
 * One per queue, so the limit is per queue and kind; metrics count every message regardless.
 */
export class PerMessageLog {
  private readonly limiter: RepeatedWarningsLimiter;

  constructor(private readonly logger: Pick<LoggerService, Level>) {
    this.limiter = new RepeatedWarningsLimiter({ emit: (text, level) => this.write(level as Level, text) });
  }

  /** `text` is only rendered when the line is written (or ends up in a summary). */
  warn(kind: string, text: () => string): void {
    this.admit('warn', kind, text);
  }

  error(kind: string, text: () => string): void {
    this.admit('error', kind, text);
  }

  private admit(level: Level, kind: string, text: () => string): void {
    if (this.limiter.admit(`${level}|${kind}`, text, level)) {
      this.write(level, text());
    }
  }

  private write(level: Level, text: string): void {
    this.logger[level](text);
  }
}
