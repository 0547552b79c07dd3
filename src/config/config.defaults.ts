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
  HTTP_BODY_LIMIT_BYTES: String(256 * 1024),
  MAILER_DELAY_MS: '0',
};

/** Variables parsed as integers before validation. */
export const INTEGER_VARIABLES: ReadonlySet<keyof EnvironmentVariables> = new Set([
  'PORT',
  'PREFETCH',
  'MAX_MESSAGE_BYTES',
  'PUBLISH_TIMEOUT_MS',
  'SHUTDOWN_GRACE_MS',
  'HTTP_BODY_LIMIT_BYTES',
  'MAILER_DELAY_MS',
]);
