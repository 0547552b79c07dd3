import type { LoggerService } from '@nestjs/common';

/** A Nest logger that keeps what the app logs (log, warn, error) for a test to read; debug and verbose are dropped. */
export class RecordingLogger implements LoggerService {
  readonly lines: string[] = [];
  log = (message: unknown): void => void this.lines.push(String(message));
  error = (message: unknown, ...rest: unknown[]): void => void this.lines.push([message, ...rest].map(String).join(' '));
  warn = (message: unknown): void => void this.lines.push(String(message));
  debug = (): void => undefined;
  verbose = (): void => undefined;
}
