import type { AppConfig } from './app-config.js';

/**
 * Rules between the app's own settings, checked once each is valid on its own (rules between
 * library options are the library's). Each message names both variables and their values.
 */
export function inconsistencies(config: AppConfig): string[] {
  const problems: string[] = [];
  // Node's http.Server refuses a headers timeout above the request timeout.
  if (config.httpHeadersTimeoutMs > config.httpRequestTimeoutMs) {
    problems.push(
      `HTTP_HEADERS_TIMEOUT_MS (${config.httpHeadersTimeoutMs}) must be at most HTTP_REQUEST_TIMEOUT_MS (${config.httpRequestTimeoutMs})`,
    );
  }
  if (config.metricsPort !== 0 && config.metricsPort === config.port) {
    problems.push(`METRICS_PORT (${config.metricsPort}) must differ from PORT: /metrics is served on a port of its own`);
  }
  return problems;
}
