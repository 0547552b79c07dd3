import { plainToInstance } from 'class-transformer';
import { validateSync } from 'class-validator';
import { AppConfig } from './app-config.js';
import { CONFIG_DEFAULTS, INTEGER_VARIABLES } from './config.defaults.js';
import { inconsistencies } from './config-consistency.js';
import { EnvironmentVariables } from './environment-variables.js';
import { InvalidConfigError } from './invalid-config.error.js';

/**
 * Reads the environment once, applies defaults, validates with class-validator and returns the
 * typed config. Throws InvalidConfigError listing every bad variable; the caller exits non-zero.
 * `stdoutIsTty` decides `LOG_FORMAT=auto` (the default): text for a person at a terminal, JSON
 * for a log collector (a pod, a pipe, a file).
 */
export function loadConfig(
  env: NodeJS.ProcessEnv = process.env,
  { stdoutIsTty = process.stdout.isTTY === true }: { stdoutIsTty?: boolean } = {},
): AppConfig {
  const raw: Record<string, unknown> = {};
  for (const [name, fallback] of Object.entries(CONFIG_DEFAULTS)) {
    const value = env[name] === undefined || (env[name] === '' && fallback !== '') ? fallback : env[name];
    raw[name] = INTEGER_VARIABLES.has(name as keyof EnvironmentVariables) ? parseInteger(value) : value;
  }
  const variables = plainToInstance(EnvironmentVariables, raw);
  const errors = validateSync(variables, { forbidUnknownValues: true });
  if (errors.length > 0) {
    // When a value is not even an integer, its range messages would only repeat the point.
    const messages = errors.flatMap((error) => {
      const constraints = error.constraints ?? {};
      return constraints.isInt ? [constraints.isInt] : Object.values(constraints);
    });
    throw new InvalidConfigError(`invalid configuration: ${messages.join('; ')}`);
  }
  const problems = inconsistencies(variables);
  if (problems.length > 0) {
    throw new InvalidConfigError(`invalid configuration: ${problems.join('; ')}`);
  }
  return Object.assign(new AppConfig(), {
    port: variables.PORT,
    amqpUrls: variables.AMQP_URL.split(',').map((url) => url.trim()),
    serviceName: variables.SERVICE_NAME,
    eventsExchange: variables.EVENTS_EXCHANGE,
    prefetch: variables.PREFETCH,
    queueType: variables.QUEUE_TYPE,
    maxMessageBytes: variables.MAX_MESSAGE_BYTES,
    codec: variables.CODEC,
    compression: variables.COMPRESSION,
    compressThresholdBytes: variables.COMPRESS_THRESHOLD_BYTES,
    maxJsonDepth: variables.MAX_JSON_DEPTH,
    publishTimeoutMs: variables.PUBLISH_TIMEOUT_MS,
    shutdownGraceMs: variables.SHUTDOWN_GRACE_MS,
    shutdownDelayMs: variables.SHUTDOWN_DELAY_MS,
    httpBodyLimitBytes: variables.HTTP_BODY_LIMIT_BYTES,
    handlerTimeoutMs: variables.HANDLER_TIMEOUT_MS,
    retryAttempts: variables.RETRY_ATTEMPTS,
    retryDelaysMs: variables.RETRY_DELAYS_MS.split(',').map((delay) => Number(delay.trim())),
    deliveryLimit: variables.DELIVERY_LIMIT,
    maxInFlightBytes: variables.MAX_IN_FLIGHT_BYTES,
    memoryHighWatermarkBytes: variables.MEMORY_HIGH_WATERMARK_BYTES || undefined,
    maxPendingPublishes: variables.MAX_PENDING_PUBLISHES,
    publishFailFastMs: variables.PUBLISH_FAIL_FAST_MS,
    confirmStallMs: variables.CONFIRM_STALL_MS,
    stuckConsumerMs: variables.STUCK_CONSUMER_MS,
    readinessMaxQueueDepth: variables.READINESS_MAX_QUEUE_DEPTH,
    deadLetterMaxLength: variables.DLQ_MAX_LENGTH,
    unroutedMaxLength: variables.UNROUTED_MAX_LENGTH,
    unroutedTtlMs: variables.UNROUTED_TTL_MS,
    reconnectBaseMs: variables.RECONNECT_BASE_MS,
    reconnectMaxMs: variables.RECONNECT_MAX_MS,
    tls: {
      caFile: variables.AMQP_TLS_CA_FILE || undefined,
      certFile: variables.AMQP_TLS_CERT_FILE || undefined,
      keyFile: variables.AMQP_TLS_KEY_FILE || undefined,
      servername: variables.AMQP_TLS_SERVERNAME || undefined,
    },
    logFormat: variables.LOG_FORMAT === 'auto' ? (stdoutIsTty ? 'text' : 'json') : variables.LOG_FORMAT,
    mailerDelayMs: variables.MAILER_DELAY_MS,
    requestTimeoutMs: variables.REQUEST_TIMEOUT_MS,
    inventoryLookupDelayMs: variables.INVENTORY_LOOKUP_DELAY_MS,
    httpBodyMaxDepth: variables.HTTP_BODY_MAX_DEPTH,
    httpBodyMaxMembers: variables.HTTP_BODY_MAX_MEMBERS,
    httpKeepAliveTimeoutMs: variables.HTTP_KEEP_ALIVE_TIMEOUT_MS,
    httpHeadersTimeoutMs: variables.HTTP_HEADERS_TIMEOUT_MS,
    httpRequestTimeoutMs: variables.HTTP_REQUEST_TIMEOUT_MS,
    metricsPort: variables.METRICS_PORT,
  });
}

/** '12' → 12; anything else (e.g. '12abc', '1.5') stays a string and fails validation. */
function parseInteger(value: string | undefined): number | string | undefined {
  return value !== undefined && /^-?\d+$/.test(value.trim()) ? Number(value) : value;
}
