import { SetMetadata } from '@nestjs/common';
import { type RetryPolicy, validateRetryPolicy } from './retry-policy.js';

export const RETRY_POLICY_METADATA = 'warren:retry-policy';

/**
 * Per-handler retry settings, e.g. `@Retry({ attempts: 3, delaysMs: [1000, 10000] })`; handlers
 * without it use the module's `consume.retry` option. Validated when the class is loaded.
 */
export function Retry(policy: RetryPolicy): MethodDecorator {
  return SetMetadata(RETRY_POLICY_METADATA, validateRetryPolicy(policy, '@Retry'));
}
