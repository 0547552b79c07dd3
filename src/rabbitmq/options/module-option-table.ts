import {
  DEFAULT_COMPRESS_THRESHOLD_BYTES,
  DEFAULT_CONFIRM_STALL_MS,
  DEFAULT_DEAD_LETTER_MAX_LENGTH,
  DEFAULT_DELIVERY_LIMIT,
  DEFAULT_HANDLER_TIMEOUT_MS,
  DEFAULT_MAX_REQUESTS_IN_FLIGHT,
  DEFAULT_REQUEST_QUEUE_MAX_LENGTH,
  DEFAULT_REQUEST_TIMEOUT_MS,
  DEFAULT_MAX_IN_FLIGHT_BYTES,
  DEFAULT_MAX_JSON_DEPTH,
  DEFAULT_MAX_MESSAGE_BYTES,
  DEFAULT_MAX_PENDING_PUBLISHES,
  DEFAULT_PREFETCH,
  DEFAULT_PUBLISH_FAIL_FAST_MS,
  DEFAULT_PUBLISH_TIMEOUT_MS,
  DEFAULT_RECONNECT_BASE_MS,
  DEFAULT_RECONNECT_MAX_MS,
  DEFAULT_SHUTDOWN_GRACE_MS,
  DEFAULT_STUCK_CONSUMER_MS,
  DEFAULT_UNROUTED_MAX_LENGTH,
  DEFAULT_UNROUTED_TTL_MS,
  MAX_PREFETCH,
  MAX_TIMER_MS,
} from '../rabbitmq.constants.js';

/**
 * One module-level integer option: everything about it in one row. `resolveRabbitMQOptions`
 * takes its default and checks its bounds from here, the app's env loader reads `env` and checks
 * the same bounds, and `npm run docs:options` writes the README configuration table from `doc`.
 */
export interface ModuleOptionDefinition {
  /** Field of RabbitMQModuleOptions / ResolvedRabbitMQOptions. */
  readonly option: string;
  /** Environment variable the app reads it from (src/config/ is the only code that reads env). */
  readonly env: string;
  readonly default: number;
  /** Lowest accepted value (inclusive). */
  readonly min: number;
  /** Highest accepted value (inclusive); durations are bounded by what a Node.js timer holds. */
  readonly max?: number;
  /**
   * A higher floor for the deployed service only: a pod below it could not hold one real event.
   * The library keeps `min` so tests can exercise its bounds with tiny messages.
   */
  readonly envMin?: number;
  readonly unit: string;
  /** What the lowest value means, when it is special (said in the error message). */
  readonly note?: string;
  /** One line for the README configuration table. */
  readonly doc: string;
}

/** Every module-level integer option with an environment variable. Order = README order. */
export const MODULE_OPTION_TABLE = [
  {
    option: 'prefetch',
    env: 'PREFETCH',
    default: DEFAULT_PREFETCH,
    min: 1,
    max: MAX_PREFETCH,
    unit: 'deliveries',
    note: '0 would mean unbounded',
    doc: 'unacked deliveries per handler queue (never unbounded); lowered to fit `MAX_IN_FLIGHT_BYTES`, and 1 until the queue\'s first body within `MAX_MESSAGE_BYTES` (see "Messages bigger than `MAX_MESSAGE_BYTES`")',
  },
  {
    option: 'maxMessageBytes',
    env: 'MAX_MESSAGE_BYTES',
    default: DEFAULT_MAX_MESSAGE_BYTES,
    min: 1,
    envMin: 1024,
    unit: 'bytes',
    doc: 'largest event published or consumed (256 KiB, as SQS, SNS and EventBridge); larger ones are refused (413) or dead-lettered undecoded; set the broker\'s `max_message_size` to the same value (see "Messages bigger than `MAX_MESSAGE_BYTES`")',
  },
  {
    option: 'compressThresholdBytes',
    env: 'COMPRESS_THRESHOLD_BYTES',
    default: DEFAULT_COMPRESS_THRESHOLD_BYTES,
    min: 1,
    unit: 'bytes',
    doc: 'encoded bodies this large or larger are compressed (marked with `content-encoding`)',
  },
  {
    option: 'maxJsonDepth',
    env: 'MAX_JSON_DEPTH',
    default: DEFAULT_MAX_JSON_DEPTH,
    min: 1,
    max: 10_000,
    unit: 'levels',
    doc: 'deepest nesting of arrays/objects in a consumed JSON event; deeper ones are parked at once as `DecodeError`, before any recursive code sees them',
  },
  {
    option: 'publishTimeoutMs',
    env: 'PUBLISH_TIMEOUT_MS',
    default: DEFAULT_PUBLISH_TIMEOUT_MS,
    min: 100,
    max: 60_000,
    unit: 'ms',
    doc: 'deadline for a broker confirm',
  },
  {
    option: 'publishFailFastMs',
    env: 'PUBLISH_FAIL_FAST_MS',
    default: DEFAULT_PUBLISH_FAIL_FAST_MS,
    min: 1,
    max: MAX_TIMER_MS,
    unit: 'ms',
    doc: 'deadline for a publish while the connection is down or blocked',
  },
  {
    option: 'confirmStallMs',
    env: 'CONFIRM_STALL_MS',
    default: DEFAULT_CONFIRM_STALL_MS,
    min: 1,
    max: 60_000,
    unit: 'ms',
    doc: 'when the oldest unconfirmed publish is this old (a hung broker), readiness fails and new publishes are refused at once (503) until confirms flow again',
  },
  {
    option: 'maxPendingPublishes',
    env: 'MAX_PENDING_PUBLISHES',
    default: DEFAULT_MAX_PENDING_PUBLISHES,
    min: 1,
    unit: 'publishes',
    doc: 'unconfirmed publishes held at once; beyond it publishes fail at once (503)',
  },
  {
    option: 'shutdownGraceMs',
    env: 'SHUTDOWN_GRACE_MS',
    default: DEFAULT_SHUTDOWN_GRACE_MS,
    min: 0,
    max: MAX_TIMER_MS,
    unit: 'ms',
    doc: 'how long in-flight handlers may finish on SIGTERM before their messages are requeued',
  },
  {
    option: 'handlerTimeoutMs',
    env: 'HANDLER_TIMEOUT_MS',
    default: DEFAULT_HANDLER_TIMEOUT_MS,
    min: 1,
    max: MAX_TIMER_MS,
    unit: 'ms',
    doc: 'a handler running longer counts as a retryable failure',
  },
  {
    option: 'requestTimeoutMs',
    env: 'REQUEST_TIMEOUT_MS',
    default: DEFAULT_REQUEST_TIMEOUT_MS,
    min: 1,
    max: MAX_TIMER_MS,
    unit: 'ms',
    doc: "default wait for a request/reply answer (`client.request()`), also the request's `expiration`; past it: `RequestTimeoutError`, HTTP 504",
  },
  {
    option: 'maxRequestsInFlight',
    env: 'MAX_REQUESTS_IN_FLIGHT',
    default: DEFAULT_MAX_REQUESTS_IN_FLIGHT,
    min: 1,
    unit: 'requests',
    doc: 'requests awaiting replies at once; beyond it requests fail at once (503)',
  },
  {
    option: 'requestQueueMaxLength',
    env: 'REQUEST_QUEUE_MAX_LENGTH',
    default: DEFAULT_REQUEST_QUEUE_MAX_LENGTH,
    min: 1,
    unit: 'requests',
    doc: 'most requests waiting in each `<EVENTS_EXCHANGE>.rpc.<pattern>` queue (`x-max-length`, `x-overflow: drop-head`: the oldest, whose callers are about to time out, go first)',
  },
  {
    option: 'deliveryLimit',
    env: 'DELIVERY_LIMIT',
    default: DEFAULT_DELIVERY_LIMIT,
    min: 1,
    unit: 'deliveries',
    doc: 'quorum `x-delivery-limit`: a message that crashes the consumer this often is parked',
  },
  {
    option: 'maxInFlightBytes',
    env: 'MAX_IN_FLIGHT_BYTES',
    default: DEFAULT_MAX_IN_FLIGHT_BYTES,
    min: 1,
    envMin: 1024,
    unit: 'bytes',
    doc: 'bytes of message bodies in flight across all queues (each costs ~3× in RSS once decoded); consumption pauses above it',
  },
  {
    option: 'stuckConsumerMs',
    env: 'STUCK_CONSUMER_MS',
    default: DEFAULT_STUCK_CONSUMER_MS,
    min: 1,
    max: MAX_TIMER_MS,
    unit: 'ms',
    doc: 'readiness fails when a consuming queue has work and nothing was settled for this long',
  },
  {
    option: 'readinessMaxQueueDepth',
    env: 'READINESS_MAX_QUEUE_DEPTH',
    default: 0,
    min: 0,
    unit: 'messages',
    note: '0 = no limit',
    doc: 'readiness fails when a consumed queue holds more ready messages',
  },
  {
    option: 'reconnectBaseMs',
    env: 'RECONNECT_BASE_MS',
    default: DEFAULT_RECONNECT_BASE_MS,
    min: 1,
    max: MAX_TIMER_MS,
    unit: 'ms',
    doc: 'reconnect backoff: attempt n waits random(c/2, c), c = min(max, base × 2ⁿ); URLs are tried in turn; it starts over once the connection is ready again (every channel set up, consumers attached) or has stayed up 10 s — never on the TCP connect alone',
  },
  {
    option: 'reconnectMaxMs',
    env: 'RECONNECT_MAX_MS',
    default: DEFAULT_RECONNECT_MAX_MS,
    min: 1,
    max: MAX_TIMER_MS,
    unit: 'ms',
    doc: 'cap of the reconnect backoff (at least `RECONNECT_BASE_MS`): the longest wait for the broker once it is back; at most 2 attempts per cap per connection',
  },
  {
    option: 'deadLetterMaxLength',
    env: 'DLQ_MAX_LENGTH',
    default: DEFAULT_DEAD_LETTER_MAX_LENGTH,
    min: 0,
    unit: 'messages',
    note: '0 = unbounded',
    doc: 'most messages in each `<queue>.dlq` (`x-max-length`, `x-overflow: reject-publish`); when full, the next dead letter stays in its handler queue and that consumer pauses (never dropped); `0` = unbounded',
  },
  {
    option: 'unroutedMaxLength',
    env: 'UNROUTED_MAX_LENGTH',
    default: DEFAULT_UNROUTED_MAX_LENGTH,
    min: 0,
    unit: 'messages',
    note: '0 = keep no copies',
    doc: 'copies of unroutable events kept in `<EVENTS_EXCHANGE>.unrouted` (oldest dropped beyond it); `0` = keep none (still counted and logged)',
  },
  {
    option: 'unroutedTtlMs',
    env: 'UNROUTED_TTL_MS',
    default: DEFAULT_UNROUTED_TTL_MS,
    min: 1,
    max: MAX_TIMER_MS,
    unit: 'ms',
    doc: 'how long a copy stays in `<EVENTS_EXCHANGE>.unrouted` (7 days)',
  },
  {
    option: 'unroutedLogIntervalMs',
    env: 'UNROUTED_LOG_INTERVAL_MS',
    default: 60_000,
    min: 1,
    max: MAX_TIMER_MS,
    unit: 'ms',
    doc: 'an unroutable routing key is logged at most once per this interval (every one is still counted in `warren_publishes_unrouted_total`); lower it while wiring up a new producer, raise it when a known key is noisy',
  },
] as const satisfies readonly ModuleOptionDefinition[];

/** Names of the options in the table. */
export type TableOptionName = (typeof MODULE_OPTION_TABLE)[number]['option'];

/** The row of one option (e.g. to reuse its bound where a handler overrides it). */
export function moduleOption(option: TableOptionName): ModuleOptionDefinition {
  return MODULE_OPTION_TABLE.find((row) => row.option === option)!;
}

/**
 * The one check of a table option, used by forRoot and by the env loader alike. The message
 * names the option and its variable, so both a library user and an operator know what to fix.
 * Returns undefined when the value is valid.
 */
export function optionProblem(row: ModuleOptionDefinition, value: unknown, { fromEnv = false }: { fromEnv?: boolean } = {}): string | undefined {
  const min = fromEnv ? (row.envMin ?? row.min) : row.min;
  const max = row.max ?? Number.MAX_SAFE_INTEGER;
  if (typeof value === 'number' && Number.isInteger(value) && value >= min && value <= max) {
    return undefined;
  }
  const notes = [row.note, max === MAX_TIMER_MS ? 'about 24.8 days, the longest timer Node.js accepts' : undefined].filter(Boolean);
  const shown = typeof value === 'string' ? `'${value}'` : String(value);
  return `${row.option} (${row.env}) must be an integer from ${min} to ${max}${notes.length > 0 ? ` (${notes.join('; ')})` : ''}, got ${shown}`;
}
