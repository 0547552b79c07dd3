import { MAX_TIMER_MS } from '../rabbitmq.constants.js';

/** Highest prefetch: above it the count no longer bounds memory usefully. */
export const MAX_PREFETCH = 10_000;

/** Bounds of an integer option (inclusive); `note` says what a special value means. */
export interface IntegerBound {
  readonly min: number;
  readonly max?: number;
  readonly note?: string;
}

/**
 * Bounds of every integer option, by its path in RABBITMQ_DEFAULTS; checked by check-options.ts
 * (the `outbox.` ones only when the outbox is on). Durations stop at MAX_TIMER_MS.
 */
export const INTEGER_BOUNDS = {
  'publish.timeoutMs': { min: 100, max: 60_000 },
  'publish.failFastMs': { min: 1, max: MAX_TIMER_MS },
  'publish.confirmStallMs': { min: 1, max: 60_000 },
  'publish.maxPending': { min: 1 },
  'publish.maxPendingBytes': { min: 1 },
  'connection.heartbeatSeconds': { min: 1 },
  'connection.connectTimeoutMs': { min: 100, max: MAX_TIMER_MS },
  'connection.reconnectBaseMs': { min: 1, max: MAX_TIMER_MS },
  'connection.reconnectMaxMs': { min: 1, max: MAX_TIMER_MS },
  'consume.prefetch': { min: 1, max: MAX_PREFETCH, note: '0 would mean unbounded' },
  'consume.handlerTimeoutMs': { min: 1, max: MAX_TIMER_MS },
  'consume.shutdownGraceMs': { min: 0, max: MAX_TIMER_MS },
  'consume.killSwitch.window': { min: 1, max: 10_000 },
  'consume.killSwitch.cooldownMs': { min: 1, max: MAX_TIMER_MS },
  'consume.deliveryLimit': { min: 1 },
  'consume.deadLetterMaxLength': { min: 0, note: '0 = unbounded' },
  'requests.timeoutMs': { min: 1, max: MAX_TIMER_MS },
  'requests.maxInFlight': { min: 1 },
  'requests.queueMaxLength': { min: 1 },
  'unrouted.maxLength': { min: 0, note: '0 = keep no copies' },
  'unrouted.ttlMs': { min: 1, max: MAX_TIMER_MS },
  'unrouted.logIntervalMs': { min: 1, max: MAX_TIMER_MS },
  'flow.maxInFlightBytes': { min: 1 },
  'flow.memoryHighWatermarkBytes': { min: 1 },
  'flow.eventLoopDelayLimitMs': { min: 1, max: MAX_TIMER_MS },
  'flow.checkIntervalMs': { min: 1, max: MAX_TIMER_MS },
  'readiness.stuckConsumerMs': { min: 1, max: MAX_TIMER_MS },
  'readiness.maxQueueDepth': { min: 0, note: '0 = no limit' },
  'encoding.maxMessageBytes': { min: 1 },
  'encoding.compressThresholdBytes': { min: 1 },
  'encoding.maxJsonDepth': { min: 1, max: 10_000 },
  'outbox.batchSize': { min: 1, max: 10_000 },
  'outbox.leaseMs': { min: 1_000, max: MAX_TIMER_MS },
  'outbox.pollMs': { min: 1, max: 500, note: 'a row written by another replica is found within half a second' },
  'outbox.maxAttempts': { min: 1, max: 1_000 },
  'outbox.retryBaseMs': { min: 1, max: MAX_TIMER_MS },
  'outbox.retryMaxMs': { min: 1, max: MAX_TIMER_MS },
  'outbox.inboxRetentionMs': { min: 1_000 },
  'outbox.maxPending': { min: 1 },
  'outbox.maxPendingAgeMs': { min: 1_000 },
} satisfies Record<string, IntegerBound>;
