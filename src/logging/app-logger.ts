import { ConsoleLogger, type LogLevel } from '@nestjs/common';
import { currentCorrelationId, isRepeatSummary, RepeatedWarningsLimiter, type RepeatedWarningsOptions, warningReason } from '../rabbitmq/admin.js';
import { logText, sanitizeLogText, sanitizeLogValue, sanitizeStack } from './log-sanitizer.js';

type JsonLogObject = ReturnType<ConsoleLogger['getJsonLogObject']>;

/** Longest context name written (contexts come from code, but a caller may pass any string). */
const MAX_CONTEXT_CHARS = 128;

/**
 * Contexts whose warnings are never held back: RabbitConnections logs connection state changes
 * (disconnected, could not connect, blocked), already paced by the reconnect backoff, and the
 * moment of each one is what an operator (and the recovery tests) read to time an outage.
 */
export const UNLIMITED_WARNING_CONTEXTS: readonly string[] = ['RabbitConnections'];

/** LOG_LEVEL's values, most severe first: each one writes its own lines and every more severe one. */
export const LOG_THRESHOLDS = ['error', 'warn', 'log', 'debug', 'verbose'] as const;
export type LogThreshold = (typeof LOG_THRESHOLDS)[number];

/** Nest's levels from the least severe up; a threshold enables itself and everything after it. */
const NEST_LEVELS: readonly LogLevel[] = ['verbose', 'debug', 'log', 'warn', 'error', 'fatal'];

export interface AppLoggerOptions {
  /** json: one JSON object per line with the correlation id; text: Nest's console lines. */
  format: 'json' | 'text';
  /**
   * The least severe level written. Nest's default writes every level, debug and verbose
   * included (a line per prefetch change, per dropped reply).
   * @default 'log'
   */
  level?: LogThreshold;
  /** How repeated warnings are limited (interval, bound); defaults in rabbitmq/logging/repeated-warnings.limiter.ts. */
  repeatedWarnings?: Omit<RepeatedWarningsOptions, 'emit'>;
  /** @default UNLIMITED_WARNING_CONTEXTS */
  unlimitedContexts?: readonly string[];
  /**
   * Write the pending "held back N more" summaries when the process exits, so the count of the last
   * interval of an outage is not lost on shutdown (stdout to a pipe or file is synchronous on Linux).
   * @default false (the service's logger sets it; loggers made in tests do not add exit hooks)
   */
  flushOnExit?: boolean;
}

/**
 * The service's logger: Nest's ConsoleLogger in either format, and the one place every log
 * value passes through, so no call site has to remember to clean what it logs:
 * - every message, context, parameter, stack and error object is sanitised (AMQP passwords
 *   masked, control characters and ANSI escapes escaped, length capped; see log-sanitizer.ts);
 * - in JSON, the correlation id of the request or message being handled is added;
 * - repeated identical warnings are limited to one line per reason per interval, with a count.
 */
export class AppLogger extends ConsoleLogger {
  private readonly repeats: RepeatedWarningsLimiter;
  private readonly unlimited: ReadonlySet<string>;

  constructor(options: AppLoggerOptions) {
    super({ json: options.format === 'json', logLevels: NEST_LEVELS.slice(NEST_LEVELS.indexOf(options.level ?? 'log')) });
    this.unlimited = new Set(options.unlimitedContexts ?? UNLIMITED_WARNING_CONTEXTS);
    this.repeats = new RepeatedWarningsLimiter({
      ...options.repeatedWarnings,
      emit: (text, context) => (context === undefined ? super.warn(text) : super.warn(text, context)),
    });
    if (options.flushOnExit) {
      process.once('exit', () => this.flushRepeatedWarnings());
    }
  }

  override warn(message: unknown, ...optionalParams: unknown[]): void {
    if (!this.isLevelEnabled('warn')) {
      return;
    }
    const last = optionalParams.at(-1);
    const context = typeof last === 'string' ? last : this.context;
    if (context !== undefined && this.unlimited.has(context)) {
      super.warn(message, ...optionalParams);
      return;
    }
    const resolved: unknown = this.resolveMessage(message);
    const text = typeof resolved === 'string' ? resolved : resolved instanceof Error ? `${resolved.name}: ${resolved.message}` : logText(resolved);
    if (isRepeatSummary(text)) {
      // Already one line per reason per interval (the library limits its per-message lines itself).
      super.warn(resolved, ...optionalParams);
      return;
    }
    const reason = warningReason(context, text);
    if (this.repeats.admit(reason, () => logText(resolved), context)) {
      super.warn(resolved, ...optionalParams); // resolved: a lazy message function runs once
    }
  }

  /** Writes the pending "held back N more" summaries now (the process is about to exit). */
  flushRepeatedWarnings(): void {
    this.repeats.flushAll();
  }

  protected override printMessages(
    messages: unknown[],
    context = '',
    logLevel?: LogLevel,
    writeStreamType?: 'stdout' | 'stderr',
    errorStack?: unknown,
    params?: Record<string, unknown>,
  ): void {
    const safeContext = sanitizeLogText(context, MAX_CONTEXT_CHARS);
    if (this.options.json) {
      // JSON records are sanitised whole in getJsonLogObject (errors are extracted before that).
      super.printMessages(messages, safeContext, logLevel, writeStreamType, errorStack, params);
      return;
    }
    const lines = messages.map((message) => logText(this.resolveMessage(message)));
    const safeParams = params && (sanitizeLogValue(params) as Record<string, unknown>);
    super.printMessages(lines, safeContext, logLevel, writeStreamType, errorStack, safeParams);
  }

  protected override printStackTrace(stack: string): void {
    super.printStackTrace(typeof stack === 'string' ? sanitizeStack(stack) : stack);
  }

  protected override getJsonLogObject(message: unknown, options: Parameters<ConsoleLogger['getJsonLogObject']>[1]): JsonLogObject {
    const record = sanitizeLogValue(super.getJsonLogObject(message, options)) as JsonLogObject;
    const correlationId = currentCorrelationId();
    return correlationId ? { ...record, correlationId: sanitizeLogText(correlationId, MAX_CONTEXT_CHARS) } : record;
  }
}
