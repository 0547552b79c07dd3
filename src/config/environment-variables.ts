import { IsIn, IsInt, IsString, Matches, Max, Min, Validate, ValidateBy } from 'class-validator';
import { AmqpUrlListConstraint } from './amqp-url-list.constraint.js';
import { MAX_TIMER_MS, MIN_MEMORY_HIGH_WATERMARK_BYTES, timerBoundMessage } from './config-bounds.js';
import { LOG_THRESHOLDS, type LogThreshold } from '../logging/app-logger.js';

/**
 * Every setting the service reads, named exactly as its environment variable so a validation
 * message names the variable to fix. Defaults live in `config.defaults.ts`.
 */
export class EnvironmentVariables {
  @IsInt({ message: 'PORT must be an integer' })
  @Min(1, { message: 'PORT must be at least 1' })
  @Max(65535, { message: 'PORT must be at most 65535' })
  PORT!: number;

  // Each URL parsed completely (scheme, host, port, vhost); a rejected one is named by position, never shown.
  @Validate(AmqpUrlListConstraint)
  AMQP_URL!: string;

  // Never echoed: it may hold a password.
  @Matches(/^postgres(ql)?:\/\/[^\s]+$/, { message: 'DATABASE_URL must be a postgres:// or postgresql:// URL' })
  DATABASE_URL!: string;

  @IsInt({ message: 'OUTBOX_MAX_PENDING must be an integer' })
  @Min(1, { message: 'OUTBOX_MAX_PENDING must be at least 1' })
  OUTBOX_MAX_PENDING!: number;

  @IsInt({ message: 'OUTBOX_MAX_PENDING_AGE_MS must be an integer' })
  @Min(1000, { message: 'OUTBOX_MAX_PENDING_AGE_MS must be at least 1000' })
  OUTBOX_MAX_PENDING_AGE_MS!: number;

  @Matches(/^[A-Za-z0-9][A-Za-z0-9._:-]*$/, {
    message: "SERVICE_NAME must be letters, digits, '.', '_', ':' or '-'",
  })
  SERVICE_NAME!: string;

  @Matches(/^[A-Za-z0-9][A-Za-z0-9._:-]*$/, {
    message: "EVENTS_EXCHANGE must be letters, digits, '.', '_', ':' or '-'",
  })
  EVENTS_EXCHANGE!: string;

  // Bounds and message: MODULE_OPTION_TABLE (src/rabbitmq/options/module-option-table.ts).
  PREFETCH!: number;

  @IsIn(['quorum', 'classic'], { message: "QUEUE_TYPE must be 'quorum' or 'classic'" })
  QUEUE_TYPE!: 'quorum' | 'classic';

  // Bounds and message: MODULE_OPTION_TABLE (src/rabbitmq/options/module-option-table.ts).
  MAX_MESSAGE_BYTES!: number;

  @IsIn(['json', 'msgpack'], { message: "CODEC must be 'json' or 'msgpack'" })
  CODEC!: 'json' | 'msgpack';

  @IsIn(['gzip', 'deflate', 'none'], { message: "COMPRESSION must be 'gzip', 'deflate' or 'none'" })
  COMPRESSION!: 'gzip' | 'deflate' | 'none';

  // Bounds and message: MODULE_OPTION_TABLE (src/rabbitmq/options/module-option-table.ts).
  COMPRESS_THRESHOLD_BYTES!: number;

  // Bounds and message: MODULE_OPTION_TABLE (src/rabbitmq/options/module-option-table.ts).
  MAX_JSON_DEPTH!: number;

  // Bounds and message: MODULE_OPTION_TABLE (src/rabbitmq/options/module-option-table.ts).
  PUBLISH_TIMEOUT_MS!: number;

  // Bounds and message: MODULE_OPTION_TABLE (src/rabbitmq/options/module-option-table.ts).
  SHUTDOWN_GRACE_MS!: number;

  @IsInt({ message: 'SHUTDOWN_DELAY_MS must be an integer' })
  @Min(0, { message: 'SHUTDOWN_DELAY_MS must be at least 0' })
  @Max(MAX_TIMER_MS, { message: timerBoundMessage('SHUTDOWN_DELAY_MS') })
  SHUTDOWN_DELAY_MS!: number;

  @IsInt({ message: 'HTTP_BODY_LIMIT_BYTES must be an integer' })
  @Min(1024, { message: 'HTTP_BODY_LIMIT_BYTES must be at least 1024' })
  HTTP_BODY_LIMIT_BYTES!: number;

  // Bounds and message: MODULE_OPTION_TABLE (src/rabbitmq/options/module-option-table.ts).
  HANDLER_TIMEOUT_MS!: number;

  @IsInt({ message: 'RETRY_ATTEMPTS must be an integer' })
  @Min(0, { message: 'RETRY_ATTEMPTS must be at least 0' })
  @Max(100, { message: 'RETRY_ATTEMPTS must be at most 100' })
  RETRY_ATTEMPTS!: number;

  @Matches(/^\d+(\s*,\s*\d+)*$/, { message: 'RETRY_DELAYS_MS must be comma-separated integers, e.g. 1000,5000,30000' })
  RETRY_DELAYS_MS!: string;

  // Bounds and message: MODULE_OPTION_TABLE (src/rabbitmq/options/module-option-table.ts).
  DELIVERY_LIMIT!: number;

  // Bounds and message: MODULE_OPTION_TABLE (src/rabbitmq/options/module-option-table.ts).
  MAX_IN_FLIGHT_BYTES!: number;

  // 0 = derive from the container or heap limit. A Node.js process alone holds tens of MB of
  // RSS, so a mark below MIN_MEMORY_HIGH_WATERMARK_BYTES would pause consumption for good.
  @IsInt({ message: 'MEMORY_HIGH_WATERMARK_BYTES must be an integer' })
  @ValidateBy(
    { name: 'isWatermark', validator: { validate: (value: unknown) => value === 0 || (value as number) >= MIN_MEMORY_HIGH_WATERMARK_BYTES } },
    {
      message: `MEMORY_HIGH_WATERMARK_BYTES must be 0 (derived from the memory limit) or at least ${MIN_MEMORY_HIGH_WATERMARK_BYTES} (64 MiB): the process alone uses tens of MB, so a lower mark would pause consumption for good`,
    },
  )
  MEMORY_HIGH_WATERMARK_BYTES!: number;

  // Bounds and message: MODULE_OPTION_TABLE (src/rabbitmq/options/module-option-table.ts).
  MAX_PENDING_PUBLISHES!: number;

  // Bounds and message: MODULE_OPTION_TABLE (src/rabbitmq/options/module-option-table.ts).
  PUBLISH_FAIL_FAST_MS!: number;

  // Bounds and message: MODULE_OPTION_TABLE (src/rabbitmq/options/module-option-table.ts).
  CONFIRM_STALL_MS!: number;

  // Bounds and message: MODULE_OPTION_TABLE (src/rabbitmq/options/module-option-table.ts).
  STUCK_CONSUMER_MS!: number;

  // Bounds and message: MODULE_OPTION_TABLE (src/rabbitmq/options/module-option-table.ts).
  READINESS_MAX_QUEUE_DEPTH!: number;

  // Bounds and message: MODULE_OPTION_TABLE (src/rabbitmq/options/module-option-table.ts).
  DLQ_MAX_LENGTH!: number;

  // Bounds and message: MODULE_OPTION_TABLE (src/rabbitmq/options/module-option-table.ts).
  UNROUTED_MAX_LENGTH!: number;

  // Bounds and message: MODULE_OPTION_TABLE (src/rabbitmq/options/module-option-table.ts).
  UNROUTED_TTL_MS!: number;

  // Bounds and message: MODULE_OPTION_TABLE (src/rabbitmq/options/module-option-table.ts).
  RECONNECT_BASE_MS!: number;

  // Bounds and message: MODULE_OPTION_TABLE (src/rabbitmq/options/module-option-table.ts).
  RECONNECT_MAX_MS!: number;

  // TLS files for amqps:// URLs; empty = not used (system CAs, no client certificate).
  @IsString({ message: 'AMQP_TLS_CA_FILE must be a path' })
  AMQP_TLS_CA_FILE!: string;

  @IsString({ message: 'AMQP_TLS_CERT_FILE must be a path' })
  AMQP_TLS_CERT_FILE!: string;

  @IsString({ message: 'AMQP_TLS_KEY_FILE must be a path' })
  AMQP_TLS_KEY_FILE!: string;

  @IsString({ message: 'AMQP_TLS_SERVERNAME must be a host name' })
  AMQP_TLS_SERVERNAME!: string;

  @IsIn(['auto', 'json', 'text'], { message: "LOG_FORMAT must be 'auto', 'json' or 'text'" })
  LOG_FORMAT!: 'auto' | 'json' | 'text';

  @IsIn(['true', 'false'], { message: "READINESS_DETAILS must be 'true' or 'false'" })
  READINESS_DETAILS!: 'true' | 'false';

  @IsIn(LOG_THRESHOLDS, { message: `LOG_LEVEL must be one of ${LOG_THRESHOLDS.map((level) => `'${level}'`).join(', ')}` })
  LOG_LEVEL!: LogThreshold;

  @IsInt({ message: 'MAILER_DELAY_MS must be an integer' })
  @Min(0, { message: 'MAILER_DELAY_MS must be at least 0' })
  @Max(MAX_TIMER_MS, { message: timerBoundMessage('MAILER_DELAY_MS') })
  MAILER_DELAY_MS!: number;

  // Bounds and message: MODULE_OPTION_TABLE (src/rabbitmq/options/module-option-table.ts).
  REQUEST_TIMEOUT_MS!: number;

  // Bounds and message: MODULE_OPTION_TABLE (src/rabbitmq/options/module-option-table.ts).
  MAX_REQUESTS_IN_FLIGHT!: number;

  @IsInt({ message: 'INVENTORY_LOOKUP_DELAY_MS must be an integer' })
  @Min(0, { message: 'INVENTORY_LOOKUP_DELAY_MS must be at least 0' })
  @Max(MAX_TIMER_MS, { message: timerBoundMessage('INVENTORY_LOOKUP_DELAY_MS') })
  INVENTORY_LOOKUP_DELAY_MS!: number;

  @IsInt({ message: 'HTTP_BODY_MAX_DEPTH must be an integer' })
  @Min(1, { message: 'HTTP_BODY_MAX_DEPTH must be at least 1' })
  @Max(1000, { message: 'HTTP_BODY_MAX_DEPTH must be at most 1000 (deeper bodies overflow recursive validation)' })
  HTTP_BODY_MAX_DEPTH!: number;

  @IsInt({ message: 'HTTP_BODY_MAX_MEMBERS must be an integer' })
  @Min(1, { message: 'HTTP_BODY_MAX_MEMBERS must be at least 1' })
  HTTP_BODY_MAX_MEMBERS!: number;

  @IsInt({ message: 'HTTP_KEEP_ALIVE_TIMEOUT_MS must be an integer' })
  @Min(1, { message: 'HTTP_KEEP_ALIVE_TIMEOUT_MS must be at least 1' })
  @Max(MAX_TIMER_MS, { message: timerBoundMessage('HTTP_KEEP_ALIVE_TIMEOUT_MS') })
  HTTP_KEEP_ALIVE_TIMEOUT_MS!: number;

  @IsInt({ message: 'HTTP_HEADERS_TIMEOUT_MS must be an integer' })
  @Min(1000, { message: 'HTTP_HEADERS_TIMEOUT_MS must be at least 1000' })
  @Max(MAX_TIMER_MS, { message: timerBoundMessage('HTTP_HEADERS_TIMEOUT_MS') })
  HTTP_HEADERS_TIMEOUT_MS!: number;

  @IsInt({ message: 'HTTP_REQUEST_TIMEOUT_MS must be an integer' })
  @Min(1000, { message: 'HTTP_REQUEST_TIMEOUT_MS must be at least 1000' })
  @Max(MAX_TIMER_MS, { message: timerBoundMessage('HTTP_REQUEST_TIMEOUT_MS') })
  HTTP_REQUEST_TIMEOUT_MS!: number;

  // 0 = a free port chosen by the OS (tests run many apps side by side).
  @IsInt({ message: 'METRICS_PORT must be an integer' })
  @Min(0, { message: 'METRICS_PORT must be at least 0 (0 = any free port)' })
  @Max(65535, { message: 'METRICS_PORT must be at most 65535' })
  METRICS_PORT!: number;
}
