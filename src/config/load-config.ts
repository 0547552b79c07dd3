import { plainToInstance } from 'class-transformer';
import { validateSync } from 'class-validator';
import { AppConfig } from './app-config.js';
import { splitAmqpUrlList } from './amqp-url.js';
import { CONFIG_DEFAULTS, INTEGER_VARIABLES } from './config.defaults.js';
import { inconsistencies } from './config-consistency.js';
import { EnvironmentVariables } from './environment-variables.js';
import { InvalidConfigError } from './invalid-config.error.js';
import { MODULE_OPTION_TABLE, optionProblem } from '../rabbitmq/options/module-option-table.js';

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
  // When a value is not even an integer, its range messages would only repeat the point.
  const messages = errors.flatMap((error) => {
    const constraints = error.constraints ?? {};
    return constraints.isInt ? [constraints.isInt] : Object.values(constraints);
  });
  // Module-level options: the library's own check, so env and forRoot cannot disagree.
  for (const row of MODULE_OPTION_TABLE) {
    const problem = optionProblem(row, raw[row.env], { fromEnv: true });
    if (problem !== undefined) {
      messages.push(problem);
    }
  }
  if (messages.length > 0) {
    throw new InvalidConfigError(`invalid configuration: ${messages.join('; ')}`);
  }
  const problems = inconsistencies(variables);
  if (problems.length > 0) {
    throw new InvalidConfigError(`invalid configuration: ${problems.join('; ')}`);
  }
  const moduleOptions = Object.fromEntries(MODULE_OPTION_TABLE.map((row) => [row.option, raw[row.env] as number]));
  return Object.assign(new AppConfig(), {
    ...moduleOptions,
    moduleOptions,
    port: variables.PORT,
    amqpUrls: splitAmqpUrlList(variables.AMQP_URL),
    databaseUrl: variables.DATABASE_URL,
    outboxMaxPending: variables.OUTBOX_MAX_PENDING,
    outboxMaxPendingAgeMs: variables.OUTBOX_MAX_PENDING_AGE_MS,
    serviceName: variables.SERVICE_NAME,
    eventsExchange: variables.EVENTS_EXCHANGE,
    queueType: variables.QUEUE_TYPE,
    codec: variables.CODEC,
    compression: variables.COMPRESSION,
    shutdownDelayMs: variables.SHUTDOWN_DELAY_MS,
    httpBodyLimitBytes: variables.HTTP_BODY_LIMIT_BYTES,
    retryAttempts: variables.RETRY_ATTEMPTS,
    retryDelaysMs: variables.RETRY_DELAYS_MS.split(',').map((delay) => Number(delay.trim())),
    memoryHighWatermarkBytes: variables.MEMORY_HIGH_WATERMARK_BYTES || undefined,
    tls: {
      caFile: variables.AMQP_TLS_CA_FILE || undefined,
      certFile: variables.AMQP_TLS_CERT_FILE || undefined,
      keyFile: variables.AMQP_TLS_KEY_FILE || undefined,
      servername: variables.AMQP_TLS_SERVERNAME || undefined,
    },
    logFormat: variables.LOG_FORMAT === 'auto' ? (stdoutIsTty ? 'text' : 'json') : variables.LOG_FORMAT,
    logLevel: variables.LOG_LEVEL,
    readinessDetails: variables.READINESS_DETAILS === 'true',
    mailerDelayMs: variables.MAILER_DELAY_MS,
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
