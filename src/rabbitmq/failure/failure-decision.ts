import { type RetryPolicy, retryDelay } from './retry-policy.js';
import type { DeliveryOutcome } from './delivery-outcome.js';
import { isRetryable } from './failure-classifier.js';
import { describeFailure } from './failure-description.js';

/** Retry with the policy's next delay while retries remain; otherwise, or for poison, park. */
export function decideOnFailure(error: unknown, policy: RetryPolicy, retriesSoFar: number): DeliveryOutcome {
  const failure = describeFailure(error);
  const retryable = isRetryable(error);
  if (!retryable || retriesSoFar >= policy.attempts) {
    return { kind: 'dead-letter', failure, retryable };
  }
  const retry = retriesSoFar + 1;
  return { kind: 'retry', failure, retry, delayMs: retryDelay(policy, retry) };
}
