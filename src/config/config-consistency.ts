import type { EnvironmentVariables } from './environment-variables.js';

/**
 * Rules between variables, checked once each variable is valid on its own. Each message names
 * both variables and their values (none of them is a secret).
 */
export function inconsistencies(variables: EnvironmentVariables): string[] {
  const problems: string[] = [];
  if (variables.RECONNECT_MAX_MS < variables.RECONNECT_BASE_MS) {
    problems.push(
      `RECONNECT_MAX_MS (${variables.RECONNECT_MAX_MS}) must be at least RECONNECT_BASE_MS (${variables.RECONNECT_BASE_MS}): it caps the growing backoff`,
    );
  }
  // Node's http.Server refuses a headers timeout above the request timeout.
  if (variables.HTTP_HEADERS_TIMEOUT_MS > variables.HTTP_REQUEST_TIMEOUT_MS) {
    problems.push(
      `HTTP_HEADERS_TIMEOUT_MS (${variables.HTTP_HEADERS_TIMEOUT_MS}) must be at most HTTP_REQUEST_TIMEOUT_MS (${variables.HTTP_REQUEST_TIMEOUT_MS})`,
    );
  }
  if (variables.METRICS_PORT !== 0 && variables.METRICS_PORT === variables.PORT) {
    problems.push(`METRICS_PORT (${variables.METRICS_PORT}) must differ from PORT: /metrics is served on a port of its own`);
  }
  return problems;
}
