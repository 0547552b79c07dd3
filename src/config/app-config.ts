import type { RabbitMQModuleOptions } from '../rabbitmq/index.js';
import type { LogThreshold } from '../logging/app-logger.js';

/**
 * The validated configuration the rest of the app receives (by injection of AppConfig), read from
 * the environment by loadConfig through SETTING_TABLE.
 */
export class AppConfig {
  /** RabbitMQModule's options as the environment sets them; an unset variable leaves the library's default. */
  rabbitmq!: RabbitMQModuleOptions;
  port!: number;
  /** PostgreSQL of the demo's tables and the outbox (may hold a password: never logged). */
  databaseUrl!: string;
  /** The outbox's high watermarks (outbox.maxPending, outbox.maxPendingAgeMs): the service's own, lower than the library's. */
  outboxMaxPending!: number;
  outboxMaxPendingAgeMs!: number;
  /** Time between readiness failing and HTTP closing on SIGTERM (lame-duck period). */
  shutdownDelayMs!: number;
  httpBodyLimitBytes!: number;
  /** json: one JSON object per line with the correlation id; text: Nest's console lines (LOG_FORMAT=auto: text on a TTY). */
  logFormat!: 'json' | 'text';
  /** READINESS_DETAILS: whether /health/ready on the public port shows its details (queue names, depths, memory). */
  readinessDetails!: boolean;
  /** LOG_LEVEL: the least severe level written (default `log`: no debug or verbose lines). */
  logLevel!: LogThreshold;
  mailerDelayMs!: number;
  /** Demo inventory lookup latency, to make a request/reply handler slow or hung. */
  inventoryLookupDelayMs!: number;
  /** HTTP JSON bodies: deepest nesting and most members of one array or object (checked before parsing). */
  httpBodyMaxDepth!: number;
  httpBodyMaxMembers!: number;
  /** Node HTTP server timeouts (keep-alive idle, whole header block, whole request). */
  httpKeepAliveTimeoutMs!: number;
  httpHeadersTimeoutMs!: number;
  httpRequestTimeoutMs!: number;
  /** Port of the separate Prometheus endpoint (GET /metrics); 0 = any free port. */
  metricsPort!: number;
}
