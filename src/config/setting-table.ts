import { MAX_TIMER_MS } from '../rabbitmq/admin.js';
import { LOG_THRESHOLDS } from '../logging/app-logger.js';
import { amqpUrls, boolean, integer, integerList, oneOf, type SettingParser, text } from './setting-parsers.js';

/**
 * One environment variable the service reads. `path` says where its value goes in AppConfig:
 * `rabbitmq.<option path>` for an option of RabbitMQModule, whose default, bounds and reasons are
 * the library's (RABBITMQ_DEFAULTS, INTEGER_BOUNDS), else one of the app's own settings. A library
 * error names the option's path; the app names the variable of that path instead.
 */
export interface Setting {
  readonly env: string;
  readonly path: string;
  readonly parser: SettingParser;
  /** Value when unset or empty: the app's own settings, and the library's required options. */
  readonly default?: string;
  /** One line for the README configuration table (`npm run docs:options`). */
  readonly doc: string;
}

/** The service alone uses tens of MB: a lower watermark would pause consumption for good. */
const MIN_MEMORY_HIGH_WATERMARK_BYTES = 64 * 1024 * 1024;
const watermark: SettingParser = {
  range: `0 or ≥ ${MIN_MEMORY_HIGH_WATERMARK_BYTES}`,
  parse(value, variable) {
    const bytes = integer().parse(value, variable);
    if (bytes !== 0 && (bytes as number) < MIN_MEMORY_HIGH_WATERMARK_BYTES) {
      throw new Error(
        `${variable} must be 0 (derived from the memory limit) or at least ${MIN_MEMORY_HIGH_WATERMARK_BYTES} (64 MiB): the process alone uses tens of MB, so a lower mark would pause consumption for good`,
      );
    }
    return bytes === 0 ? undefined : bytes;
  },
};

/** A duration of the app's own: a Node.js timer holds at most MAX_TIMER_MS (a longer one fires after 1 ms). */
const duration = (min = 0): SettingParser => integer({ min, max: MAX_TIMER_MS });
/** A pod needs room for one real event: the library's floor of 1 only serves tests. */
const podBytes = integer({ min: 1024 });
const path: SettingParser = { parse: (value) => value };

/** Every variable the service reads. Order = README order. */
export const SETTING_TABLE: readonly Setting[] = [
  { env: 'PORT', path: 'port', parser: integer({ min: 1, max: 65535 }), default: '3000', doc: 'HTTP port' },
  {
    env: 'AMQP_URL',
    path: 'rabbitmq.urls',
    parser: amqpUrls,
    default: 'amqp://guest:guest@127.0.0.1:5672',
    doc: 'broker URL; several comma-separated URLs are tried in turn',
  },
  { env: 'SERVICE_NAME', path: 'rabbitmq.serviceName', parser: text, default: 'warren', doc: 'prefix of queue names and connection names' },
  { env: 'EVENTS_EXCHANGE', path: 'rabbitmq.exchange', parser: text, doc: 'topic exchange events are published to' },
  { env: 'QUEUE_TYPE', path: 'rabbitmq.consume.queueType', parser: text, doc: '`quorum` or `classic` for handler, retry and dead-letter queues' },
  {
    env: 'PREFETCH',
    path: 'rabbitmq.consume.prefetch',
    parser: integer(),
    doc: 'unacked deliveries per handler queue (never unbounded); lowered to fit `MAX_IN_FLIGHT_BYTES`, and 1 until the queue\'s first body within `MAX_MESSAGE_BYTES` (see "Messages bigger than `MAX_MESSAGE_BYTES`")',
  },
  {
    env: 'MAX_MESSAGE_BYTES',
    path: 'rabbitmq.encoding.maxMessageBytes',
    parser: podBytes,
    doc: 'largest event published or consumed (256 KiB, as SQS, SNS and EventBridge); larger ones are refused (413) or dead-lettered undecoded; set the broker\'s `max_message_size` to the same value (see "Messages bigger than `MAX_MESSAGE_BYTES`")',
  },
  {
    env: 'CODEC',
    path: 'rabbitmq.encoding.codec',
    parser: text,
    doc: "codec of published events: `json` or `msgpack` (consumers follow each message's `content-type`)",
  },
  {
    env: 'COMPRESSION',
    path: 'rabbitmq.encoding.compression',
    parser: text,
    doc: '`gzip`, `deflate` or `none`: how published bodies of at least `COMPRESS_THRESHOLD_BYTES` are compressed',
  },
  {
    env: 'COMPRESS_THRESHOLD_BYTES',
    path: 'rabbitmq.encoding.compressThresholdBytes',
    parser: integer(),
    doc: 'encoded bodies this large or larger are compressed (marked with `content-encoding`)',
  },
  {
    env: 'MAX_JSON_DEPTH',
    path: 'rabbitmq.encoding.maxJsonDepth',
    parser: integer(),
    doc: 'deepest nesting of arrays/objects in a consumed JSON event; deeper ones are parked at once as `DecodeError`, before any recursive code sees them',
  },
  { env: 'PUBLISH_TIMEOUT_MS', path: 'rabbitmq.publish.timeoutMs', parser: integer(), doc: 'deadline for a broker confirm' },
  {
    env: 'PUBLISH_FAIL_FAST_MS',
    path: 'rabbitmq.publish.failFastMs',
    parser: integer(),
    doc: 'deadline for a publish while the connection is down or blocked',
  },
  {
    env: 'CONFIRM_STALL_MS',
    path: 'rabbitmq.publish.confirmStallMs',
    parser: integer(),
    doc: 'when the oldest unconfirmed publish is this old (a hung broker), readiness fails and new publishes are refused at once (503) until confirms flow again',
  },
  {
    env: 'MAX_PENDING_PUBLISHES',
    path: 'rabbitmq.publish.maxPending',
    parser: integer(),
    doc: 'unconfirmed publishes held at once; beyond it publishes fail at once (503)',
  },
  {
    env: 'SHUTDOWN_GRACE_MS',
    path: 'rabbitmq.consume.shutdownGraceMs',
    parser: integer(),
    doc: 'how long in-flight handlers may finish on SIGTERM before their messages are requeued',
  },
  {
    env: 'HANDLER_TIMEOUT_MS',
    path: 'rabbitmq.consume.handlerTimeoutMs',
    parser: integer(),
    doc: 'a handler running longer counts as a retryable failure',
  },
  {
    env: 'REQUEST_TIMEOUT_MS',
    path: 'rabbitmq.requests.timeoutMs',
    parser: integer(),
    doc: "default wait for a request/reply answer (`client.request()`), also the request's `expiration`; past it: `RequestTimeoutError`, HTTP 504",
  },
  {
    env: 'MAX_REQUESTS_IN_FLIGHT',
    path: 'rabbitmq.requests.maxInFlight',
    parser: integer(),
    doc: 'requests awaiting replies at once; beyond it requests fail at once (503)',
  },
  {
    env: 'REQUEST_QUEUE_MAX_LENGTH',
    path: 'rabbitmq.requests.queueMaxLength',
    parser: integer(),
    doc: 'most requests waiting in each `<EVENTS_EXCHANGE>.rpc.<pattern>` queue (`x-max-length`, `x-overflow: drop-head`: the oldest, whose callers are about to time out, go first)',
  },
  {
    env: 'RETRY_ATTEMPTS',
    path: 'rabbitmq.consume.retry.attempts',
    parser: integer(),
    doc: 'retries after the first delivery (per-handler `@Retry` overrides)',
  },
  { env: 'RETRY_DELAYS_MS', path: 'rabbitmq.consume.retry.delaysMs', parser: integerList, doc: 'delay before each retry; the last repeats' },
  {
    env: 'DELIVERY_LIMIT',
    path: 'rabbitmq.consume.deliveryLimit',
    parser: integer(),
    doc: 'quorum `x-delivery-limit`: a message that crashes the consumer this often is parked',
  },
  {
    env: 'MAX_IN_FLIGHT_BYTES',
    path: 'rabbitmq.flow.maxInFlightBytes',
    parser: podBytes,
    doc: 'bytes of message bodies in flight across all queues (each costs ~3× in RSS once decoded); consumption pauses above it',
  },
  {
    env: 'MEMORY_HIGH_WATERMARK_BYTES',
    path: 'rabbitmq.flow.memoryHighWatermarkBytes',
    parser: watermark,
    doc: 'RSS above which consumption pauses (resumes below 55 % of the limit); `0` or empty = 70 % of the container limit against RSS or, without a container limit, 70 % of the V8 heap limit against the used heap (RSS also holds code and pages V8 keeps, so against a small heap limit it could stay above the low mark and never resume)',
  },
  {
    env: 'STUCK_CONSUMER_MS',
    path: 'rabbitmq.readiness.stuckConsumerMs',
    parser: integer(),
    doc: 'readiness fails when a consuming queue has work and nothing was settled for this long',
  },
  {
    env: 'READINESS_MAX_QUEUE_DEPTH',
    path: 'rabbitmq.readiness.maxQueueDepth',
    parser: integer(),
    doc: 'readiness fails when a consumed queue holds more ready messages',
  },
  {
    env: 'READINESS_DEPTH_TIMEOUT_MS',
    path: 'rabbitmq.readiness.depthReadTimeoutMs',
    parser: integer(),
    doc: 'longest a readiness check waits for the queue depths; two checks in a row without an answer (a frozen broker or network) take readiness down',
  },
  {
    env: 'RECONNECT_BASE_MS',
    path: 'rabbitmq.connection.reconnectBaseMs',
    parser: integer(),
    doc: 'reconnect backoff: attempt n waits random(c/2, c), c = min(max, base × 2ⁿ); URLs are tried in turn; it starts over once the connection is ready again (every channel set up, consumers attached) or has stayed up 10 s — never on the TCP connect alone',
  },
  {
    env: 'RECONNECT_MAX_MS',
    path: 'rabbitmq.connection.reconnectMaxMs',
    parser: integer(),
    doc: 'cap of the reconnect backoff (at least `RECONNECT_BASE_MS`): the longest wait for the broker once it is back; at most 2 attempts per cap per connection',
  },
  {
    env: 'DLQ_MAX_LENGTH',
    path: 'rabbitmq.consume.deadLetterMaxLength',
    parser: integer(),
    doc: 'most messages in each `<queue>.dlq` (`x-max-length`, `x-overflow: reject-publish`); when full, the next dead letter stays in its handler queue and that consumer pauses (never dropped); `0` = unbounded',
  },
  {
    env: 'UNROUTED_MAX_LENGTH',
    path: 'rabbitmq.unrouted.maxLength',
    parser: integer(),
    doc: 'copies of unroutable events kept in `<EVENTS_EXCHANGE>.unrouted` (oldest dropped beyond it); `0` = keep none (still counted and logged)',
  },
  {
    env: 'UNROUTED_TTL_MS',
    path: 'rabbitmq.unrouted.ttlMs',
    parser: integer(),
    doc: 'how long a copy stays in `<EVENTS_EXCHANGE>.unrouted` (7 days)',
  },
  {
    env: 'UNROUTED_LOG_INTERVAL_MS',
    path: 'rabbitmq.unrouted.logIntervalMs',
    parser: integer(),
    doc: 'an unroutable routing key is logged at most once per this interval (every one is still counted in `warren_publishes_unrouted_total`); lower it while wiring up a new producer, raise it when a known key is noisy',
  },
  {
    env: 'CONNECT_TIMEOUT_MS',
    path: 'rabbitmq.connection.connectTimeoutMs',
    parser: integer(),
    doc: 'a broker connection attempt (TCP, TLS, AMQP handshake) silent this long fails and the next URL is tried',
  },
  {
    env: 'DATABASE_URL',
    path: 'databaseUrl',
    // The message never shows the value: the URL may hold a password.
    parser: {
      parse(value, variable) {
        if (!/^postgres(ql)?:\/\/\S+$/.test(value)) {
          throw new Error(`${variable} must be a postgres:// or postgresql:// URL`);
        }
        return value;
      },
    },
    default: 'postgres://postgres@127.0.0.1:5432/warren',
    doc: 'PostgreSQL of the orders, the stock ledger and the outbox and inbox tables (`scripts/start.sh` creates the database if missing)',
  },
  {
    env: 'OUTBOX_MAX_PENDING',
    path: 'outboxMaxPending',
    parser: integer({ min: 1 }),
    default: '100000',
    doc: 'events waiting in the outbox above which `POST /orders` answers 503 with `Retry-After`',
  },
  {
    env: 'OUTBOX_MAX_PENDING_AGE_MS',
    path: 'outboxMaxPendingAgeMs',
    parser: duration(1000),
    default: '900000',
    doc: 'age of the oldest event waiting in the outbox above which `POST /orders` answers 503 with `Retry-After`',
  },
  {
    env: 'AMQP_TLS_CA_FILE',
    path: 'rabbitmq.connection.tls.caFile',
    parser: path,
    doc: 'PEM file of the CA that verifies the broker, for `amqps://`',
  },
  {
    env: 'AMQP_TLS_CERT_FILE',
    path: 'rabbitmq.connection.tls.certFile',
    parser: path,
    doc: 'PEM client certificate, for `amqps://` when the broker asks for one',
  },
  { env: 'AMQP_TLS_KEY_FILE', path: 'rabbitmq.connection.tls.keyFile', parser: path, doc: 'PEM key of the client certificate' },
  {
    env: 'AMQP_TLS_SERVERNAME',
    path: 'rabbitmq.connection.tls.servername',
    parser: path,
    doc: 'name the broker certificate is verified against (empty = the host of the URL)',
  },
  {
    env: 'HTTP_BODY_LIMIT_BYTES',
    path: 'httpBodyLimitBytes',
    parser: integer({ min: 1024 }),
    default: String(256 * 1024),
    doc: 'larger request bodies get 413',
  },
  {
    env: 'HTTP_BODY_MAX_DEPTH',
    path: 'httpBodyMaxDepth',
    parser: integer({ min: 1, max: 1000, maxWhy: ' (deeper bodies overflow recursive validation)' }),
    default: '32',
    doc: 'JSON bodies nested deeper get 400, checked before parsing',
  },
  {
    env: 'HTTP_BODY_MAX_MEMBERS',
    path: 'httpBodyMaxMembers',
    parser: integer({ min: 1 }),
    default: '10000',
    doc: 'JSON bodies with more members in one array or object get 400, checked before parsing',
  },
  // Above the idle timeouts of common load balancers (AWS ALB 60 s): the balancer, not the
  // service, must close an idle connection, or a request sent on it as it closes gets a 502.
  {
    env: 'HTTP_KEEP_ALIVE_TIMEOUT_MS',
    path: 'httpKeepAliveTimeoutMs',
    parser: duration(1),
    default: '65000',
    doc: "idle keep-alive connections close after this; keep it above the load balancer's idle timeout (AWS ALB: 60 s), or requests sent as the service closes get 502",
  },
  {
    env: 'HTTP_HEADERS_TIMEOUT_MS',
    path: 'httpHeadersTimeoutMs',
    parser: duration(1000),
    default: '10000',
    doc: 'a client slower than this to send its headers gets 408 and is disconnected (slowloris); at most `HTTP_REQUEST_TIMEOUT_MS`',
  },
  {
    env: 'HTTP_REQUEST_TIMEOUT_MS',
    path: 'httpRequestTimeoutMs',
    parser: duration(1000),
    default: '30000',
    doc: 'the whole request (headers and body) must arrive within this',
  },
  {
    env: 'METRICS_PORT',
    path: 'metricsPort',
    parser: integer({ min: 0, max: 65535, minWhy: ' (0 = any free port)' }),
    default: '9464',
    doc: 'port of `GET /metrics` (not served on `PORT`); `0` = any free port (tests)',
  },
  {
    env: 'LOG_FORMAT',
    path: 'logFormat',
    parser: oneOf(['auto', 'json', 'text']),
    default: 'auto',
    doc: "`auto`: `text` when stdout is a terminal, `json` otherwise; `json`: one JSON object per line with `correlationId`; `text`: Nest's console lines (see **Logs** under Operations)",
  },
  {
    env: 'READINESS_DETAILS',
    path: 'readinessDetails',
    parser: boolean,
    default: 'false',
    doc: '`true`: `GET /health/ready` on `PORT` also shows its details (connections, consumers, queue names and depths, memory); `false`: only `{"status":…}` and the status code, as the public port is reachable by any client (the same figures are on `METRICS_PORT`)',
  },
  {
    env: 'LOG_LEVEL',
    path: 'logLevel',
    parser: oneOf(LOG_THRESHOLDS),
    default: 'log',
    doc: '`error`, `warn`, `log`, `debug` or `verbose`: the least severe level written (`debug` and `verbose` write lines per message)',
  },
  {
    env: 'SHUTDOWN_DELAY_MS',
    path: 'shutdownDelayMs',
    parser: duration(),
    default: '0',
    doc: 'on SIGTERM, readiness fails at once but HTTP keeps serving this long before closing (use where no preStop hook delays)',
  },
  {
    env: 'MAILER_DELAY_MS',
    path: 'mailerDelayMs',
    parser: duration(),
    default: '0',
    doc: 'demo mailer latency, to simulate a slow or hung downstream',
  },
  {
    env: 'INVENTORY_LOOKUP_DELAY_MS',
    path: 'inventoryLookupDelayMs',
    parser: duration(),
    default: '0',
    doc: 'demo inventory lookup latency (`GET /inventory/:sku`), to see the 504',
  },
];
