import type { EnvironmentVariables } from './environment-variables.js';

/** Default of every environment variable; the README's configuration table lists the same. */
export const CONFIG_DEFAULTS: Readonly<Record<keyof EnvironmentVariables, string>> = {
  PORT: '3000',
  AMQP_URL: 'amqp://guest:guest@127.0.0.1:5672',
  SERVICE_NAME: 'warren',
  EVENTS_EXCHANGE: 'warren.events',
  PREFETCH: '50',
  QUEUE_TYPE: 'quorum',
  MAX_MESSAGE_BYTES: String(1024 * 1024),
  PUBLISH_TIMEOUT_MS: '5000',
  SHUTDOWN_GRACE_MS: '10000',
  SHUTDOWN_DELAY_MS: '0',
  HTTP_BODY_LIMIT_BYTES: String(256 * 1024),
  HANDLER_TIMEOUT_MS: '30000',
  RETRY_ATTEMPTS: '5',
  RETRY_DELAYS_MS: '1000,5000,30000,120000,600000',
  DELIVERY_LIMIT: '20',
  MAX_IN_FLIGHT_BYTES: String(64 * 1024 * 1024),
  MEMORY_HIGH_WATERMARK_BYTES: '0',
  MAX_PENDING_PUBLISHES: '1000',
  PUBLISH_FAIL_FAST_MS: '250',
  STUCK_CONSUMER_MS: '60000',
  READINESS_MAX_QUEUE_DEPTH: '0',
  MAILER_DELAY_MS: '0',
};

/** Variables parsed as integers before validation. */
export const INTEGER_VARIABLES: ReadonlySet<keyof EnvironmentVariables> = new Set([
  'PORT',
  'PREFETCH',
  'MAX_MESSAGE_BYTES',
  'PUBLISH_TIMEOUT_MS',
  'SHUTDOWN_GRACE_MS',
  'SHUTDOWN_DELAY_MS',
  'HTTP_BODY_LIMIT_BYTES',
  'HANDLER_TIMEOUT_MS',
  'RETRY_ATTEMPTS',
  'DELIVERY_LIMIT',
  'MAX_IN_FLIGHT_BYTES',
  'MEMORY_HIGH_WATERMARK_BYTES',
  'MAX_PENDING_PUBLISHES',
  'PUBLISH_FAIL_FAST_MS',
  'STUCK_CONSUMER_MS',
  'READINESS_MAX_QUEUE_DEPTH',
  'MAILER_DELAY_MS',
]);
