import { MAX_TIMER_MS } from '../rabbitmq.constants.js';
import { RABBITMQ_DEFAULTS } from './rabbitmq-defaults.js';

/** Highest prefetch: above it the count no longer bounds memory usefully. */
export const MAX_PREFETCH = 10_000;

/** Bounds of an integer option (inclusive); `note` says what a special value means. */
export interface IntegerBound {
  readonly min: number;
  readonly max?: number;
  readonly note?: string;
}

/**
 * Every option whose default is a number is an integer of at least 1, at most MAX_TIMER_MS when
 * its name ends in `Ms` (a Node timer holds no more). These are the options bounded otherwise, by
 * path; a new option following the rule needs no line here.
 */
const OTHER_BOUNDS = {
  'publish.timeoutMs': { min: 100, max: 60_000 },
  'publish.confirmStallMs': { min: 1, max: 60_000 },
  'connection.connectTimeoutMs': { min: 100, max: MAX_TIMER_MS },
  'consume.prefetch': { min: 1, max: MAX_PREFETCH, note: '0 would mean unbounded' },
  'consume.shutdownGraceMs': { min: 0, max: MAX_TIMER_MS },
  'consume.killSwitch.window': { min: 1, max: 10_000 },
  'consume.deadLetterMaxLength': { min: 0, note: '0 = unbounded' },
  'unrouted.maxLength': { min: 0, note: '0 = keep no copies' },
  // No number by default (derived from the memory limit), bounded when given.
  'flow.memoryHighWatermarkBytes': { min: 1 },
  'readiness.maxQueueDepth': { min: 0, note: '0 = no limit' },
  'encoding.maxJsonDepth': { min: 1, max: 10_000 },
  'outbox.batchSize': { min: 1, max: 10_000 },
  'outbox.leaseMs': { min: 1_000, max: MAX_TIMER_MS },
  'outbox.pollMs': { min: 1, max: 500, note: 'a row written by another replica is found within half a second' },
  'outbox.maxAttempts': { min: 1, max: 1_000 },
  // Ages compared with timestamps, never timers.
  'outbox.inboxRetentionMs': { min: 1_000 },
  'outbox.maxPendingAgeMs': { min: 1_000 },
} satisfies Record<string, IntegerBound>;

/** Numbers that are not integer options: checked on their own in check-options.ts. */
const NOT_INTEGER_OPTIONS = new Set(['consume.killSwitch.failureRatio', 'consume.retry.attempts']);

/**
 * Bounds of every integer option, by its path in RABBITMQ_DEFAULTS ('publish.timeoutMs'),
 * derived from the defaults: checked by check-options.ts (the `outbox.` ones only when the
 * outbox is on) and shown in the README's configuration table.
 */
export const INTEGER_BOUNDS: Readonly<Record<string, IntegerBound>> = Object.fromEntries([
  ...numberPaths(RABBITMQ_DEFAULTS)
    .filter((path) => !NOT_INTEGER_OPTIONS.has(path))
    .map((path): [string, IntegerBound] => [path, path.endsWith('Ms') ? { min: 1, max: MAX_TIMER_MS } : { min: 1 }]),
  ...Object.entries(OTHER_BOUNDS),
]);

/** Paths of the options whose default is a number, in every group. */
function numberPaths(node: object, prefix = ''): string[] {
  return Object.entries(node as Record<string, unknown>).flatMap(([key, value]) => {
    if (typeof value === 'number') {
      return [`${prefix}${key}`];
    }
    return value !== null && typeof value === 'object' && !Array.isArray(value) ? numberPaths(value, `${prefix}${key}.`) : [];
  });
}
