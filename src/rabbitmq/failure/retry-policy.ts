import { InvalidRabbitMQOptionsError, type OptionProblem } from '../errors/invalid-options.error.js';

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

/**
 * Longest retry delay accepted. A delay queue holds the message meanwhile; beyond a day the
 * message is better parked for an operator than kept circling.
 */
export const MAX_RETRY_DELAY_MS = 24 * 60 * 60 * 1000;

/** Delay before retry number `retry` (1-based). */
export function retryDelay(policy: RetryPolicy, retry: number): number {
  return policy.delaysMs[Math.min(retry, policy.delaysMs.length) - 1];
}

/** What is wrong with a policy, each problem at `<where>.attempts` or `<where>.delaysMs`. */
export function retryPolicyProblems(policy: RetryPolicy, where: string): OptionProblem[] {
  const attempts = `${where}.attempts`;
  const delays = `${where}.delaysMs`;
  const problems: OptionProblem[] = [];
  if (!Number.isInteger(policy.attempts) || policy.attempts < 0 || policy.attempts > 100) {
    problems.push({ path: attempts, describe: (name) => `${name(attempts)} must be an integer from 0 to 100, got ${String(policy.attempts)}` });
  }
  if (policy.attempts > 0 && (!Array.isArray(policy.delaysMs) || policy.delaysMs.length === 0)) {
    problems.push({ path: delays, describe: (name) => `${name(delays)} must list at least one delay when attempts > 0` });
  }
  const bad = (Array.isArray(policy.delaysMs) ? policy.delaysMs : []).find(
    (delay) => !Number.isInteger(delay) || delay < 1 || delay > MAX_RETRY_DELAY_MS,
  );
  if (bad !== undefined) {
    problems.push({
      path: delays,
      describe: (name) => `${name(delays)} entries must be integers from 1 to ${MAX_RETRY_DELAY_MS} ms, got ${String(bad)}`,
    });
  }
  return problems;
}

/** Throws with a message naming `where` when a policy is unusable. */
export function validateRetryPolicy(policy: RetryPolicy, where: string): RetryPolicy {
  const problems = retryPolicyProblems(policy, where);
  if (problems.length > 0) {
    throw InvalidRabbitMQOptionsError.of(problems.slice(0, 1));
  }
  return policy;
}
