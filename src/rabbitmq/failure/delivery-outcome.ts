import type { FailureDescription } from './failure-description.js';

/** What to do with a delivery once its handler settled: decided first, then carried out. */
export type DeliveryOutcome =
  | {
      kind: 'ack';
      /** A request whose handler failed: the error went back as the reply; the kill switch counts it if a dependency is down. */
      failedRequest?: { dependencyDown: boolean };
    }
  /** Publish a copy to `<queue>.retry.<delayMs>` with the retry count `retry`, then ack. */
  | { kind: 'retry'; failure: FailureDescription; retry: number; delayMs: number; dependencyDown?: boolean }
  /** Park in `<queue>.dlq` with the reason; never redelivered to the handler by itself. */
  | { kind: 'dead-letter'; failure: FailureDescription; retryable: boolean; dependencyDown?: boolean };

/** One delivery's outcome, with the handler's value on success or the original error on failure. */
export interface HandlerRun {
  outcome: DeliveryOutcome;
  value?: unknown;
  error?: unknown;
}
