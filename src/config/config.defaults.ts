import { MODULE_OPTION_TABLE } from '../rabbitmq/options/module-option-table.js';
import type { EnvironmentVariables } from './environment-variables.js';

/** Default of every environment variable; the README's configuration table lists the same. */
export const CONFIG_DEFAULTS: Readonly<Record<keyof EnvironmentVariables, string>> = {
  PORT: '3000',
  AMQP_URL: 'amqp://guest:guest@127.0.0.1:5672',
  SERVICE_NAME: 'warren',
  EVENTS_EXCHANGE: 'warren.events',
  QUEUE_TYPE: 'quorum',
  CODEC: 'json',
  COMPRESSION: 'gzip',
  SHUTDOWN_DELAY_MS: '0',
  HTTP_BODY_LIMIT_BYTES: String(256 * 1024),
  RETRY_ATTEMPTS: '5',
  RETRY_DELAYS_MS: '1000,5000,30000,120000,600000',
  MEMORY_HIGH_WATERMARK_BYTES: '0',
  AMQP_TLS_CA_FILE: '',
  AMQP_TLS_CERT_FILE: '',
  AMQP_TLS_KEY_FILE: '',
  AMQP_TLS_SERVERNAME: '',
  LOG_FORMAT: 'auto',
  MAILER_DELAY_MS: '0',
  HTTP_BODY_MAX_DEPTH: '32',
  HTTP_BODY_MAX_MEMBERS: '10000',
  // Above the idle timeouts of common load balancers (AWS ALB 60 s): the balancer, not the
  // service, must close an idle connection, or a request sent on it as it closes gets a 502.
  HTTP_KEEP_ALIVE_TIMEOUT_MS: '65000',
  HTTP_HEADERS_TIMEOUT_MS: '10000',
  HTTP_REQUEST_TIMEOUT_MS: '30000',
  METRICS_PORT: '9464',
  // Module-level options: defaults from the library's one table.
  ...Object.fromEntries(MODULE_OPTION_TABLE.map((row) => [row.env, String(row.default)])),
} as Readonly<Record<keyof EnvironmentVariables, string>>;

/** Variables parsed as integers before validation. */
export const INTEGER_VARIABLES: ReadonlySet<keyof EnvironmentVariables> = new Set([
  'PORT',
  'SHUTDOWN_DELAY_MS',
  'HTTP_BODY_LIMIT_BYTES',
  'RETRY_ATTEMPTS',
  'MEMORY_HIGH_WATERMARK_BYTES',
  'MAILER_DELAY_MS',
  'HTTP_BODY_MAX_DEPTH',
  'HTTP_BODY_MAX_MEMBERS',
  'HTTP_KEEP_ALIVE_TIMEOUT_MS',
  'HTTP_HEADERS_TIMEOUT_MS',
  'HTTP_REQUEST_TIMEOUT_MS',
  'METRICS_PORT',
  ...MODULE_OPTION_TABLE.map((row) => row.env as keyof EnvironmentVariables),
]);
