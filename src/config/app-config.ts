import type { QueueType } from '../rabbitmq/index.js';
import type { TlsOptions } from '../rabbitmq/admin.js';
import type { TableOptionName } from '../rabbitmq/options/module-option-table.js';
import type { LogThreshold } from '../logging/app-logger.js';

/** The validated configuration the rest of the app receives (by injection of AppConfig). */
export class AppConfig {
  /** Every option of MODULE_OPTION_TABLE by its forRoot name, read from its variable (passed to RabbitMQModule as is). */
  moduleOptions!: Partial<Record<TableOptionName, number>>;
  port!: number;
  amqpUrls!: string[];
  /** PostgreSQL of the demo's tables and the outbox (may hold a password: never logged). */
  databaseUrl!: string;
  /** The outbox's high watermarks (outbox.maxPending, outbox.maxPendingAgeMs). */
  outboxMaxPending!: number;
  outboxMaxPendingAgeMs!: number;
  serviceName!: string;
  eventsExchange!: string;
  prefetch!: number;
  queueType!: QueueType;
  maxMessageBytes!: number;
  /** Codec of published events; consumers follow each message's content-type. */
  codec!: 'json' | 'msgpack';
  /** Compression of published bodies of at least compressThresholdBytes. */
  compression!: 'gzip' | 'deflate' | 'none';
  compressThresholdBytes!: number;
  /** Deepest nesting of a consumed JSON event; deeper ones are parked as DecodeError. */
  maxJsonDepth!: number;
  publishTimeoutMs!: number;
  shutdownGraceMs!: number;
  /** Time between readiness failing and HTTP closing on SIGTERM (lame-duck period). */
  shutdownDelayMs!: number;
  httpBodyLimitBytes!: number;
  handlerTimeoutMs!: number;
  requestTimeoutMs!: number;
  maxRequestsInFlight!: number;
  retryAttempts!: number;
  retryDelaysMs!: number[];
  deliveryLimit!: number;
  maxInFlightBytes!: number;
  /** Undefined = derived from the container or heap limit by the RabbitMQ module. */
  memoryHighWatermarkBytes?: number;
  maxPendingPublishes!: number;
  publishFailFastMs!: number;
  /** Age of the oldest unconfirmed publish at which confirms count as stalled (hung broker). */
  confirmStallMs!: number;
  stuckConsumerMs!: number;
  readinessMaxQueueDepth!: number;
  /** Bound of every `.dlq` (reject-publish); 0 = unbounded. */
  deadLetterMaxLength!: number;
  /** Copies kept in `<exchange>.unrouted`; 0 = none. */
  unroutedMaxLength!: number;
  unroutedTtlMs!: number;
  reconnectBaseMs!: number;
  reconnectMaxMs!: number;
  tls!: TlsOptions;
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
