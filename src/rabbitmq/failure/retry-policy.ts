import { InvalidRabbitMQOptionsError } from '../errors/invalid-options.error.js';

/** How often and how late a failing message is tried again before it is parked. */
export interface RetryPolicy {
  /** Retries after the first delivery; a handler that always fails sees attempts + 1 deliveries. */
  attempts: number;
  /**
   * Delay before each retry, in ms. Retry n waits `delaysMs[n-1]`, or the last entry when the
   * list is shorter than `attempts`. Each distinct delay is one `<queue>.retry.<delay>` queue.
   */
  delaysMs: number[];
}

/** 5 retries at 1 s, 5 s, 30 s, 2 min and 10 min: rides out a deploy or a short outage. */
export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  attempts: 5,
  delaysMs: [1_000, 5_000, 30_000, 120_000, 600_000],
};

/**
 * Longest retry delay accepted. A delay queue holds the message meanwhile; beyond a day the
 * message is better parked for an operator than kept circling.
 */
export const MAX_RETRY_DELAY_MS = 24 * 60 * 60 * 1000;

/** Delay before retry number `retry` (1-based). */
export function retryDelay(policy: RetryPolicy, retry: number): number {
  return policy.delaysMs[Math.min(retry, policy.delaysMs.length) - 1];
}

/** Throws with a message naming `where` when a policy is unusable. */
export function validateRetryPolicy(policy: RetryPolicy, where: string): RetryPolicy {
  if (!Number.isInteger(policy.attempts) || policy.attempts < 0 || policy.attempts > 100) {
    throw new InvalidRabbitMQOptionsError(`${where}.attempts must be an integer from 0 to 100, got ${String(policy.attempts)}`);
  }
  if (policy.attempts > 0 && (!Array.isArray(policy.delaysMs) || policy.delaysMs.length === 0)) {
    throw new InvalidRabbitMQOptionsError(`${where}.delaysMs must list at least one delay when attempts > 0`);
  }
  for (const delay of policy.delaysMs ?? []) {
    if (!Number.isInteger(delay) || delay < 1 || delay > MAX_RETRY_DELAY_MS) {
      throw new InvalidRabbitMQOptionsError(`${where}.delaysMs entries must be integers from 1 to ${MAX_RETRY_DELAY_MS} ms, got ${String(delay)}`);
    }
  }
  return policy;
}
