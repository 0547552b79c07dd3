/**
 * One service setting the app reads from the environment that is not a module-level option of
 * the library's table (MODULE_OPTION_TABLE): HTTP, logging, the demo, and the library options
 * that are not plain integers (URLs, names, enums, retry policy, TLS files). Their checks are the
 * class-validator rules in environment-variables.ts; `npm run docs:options` writes `doc` into the
 * README configuration table.
 */
export interface AppSettingDefinition {
  readonly env: string;
  /** Value used when the variable is unset (or empty, unless the default is empty too). */
  readonly default: string;
  /** Parsed as an integer before validation. */
  readonly integer: boolean;
  /** One line for the README configuration table. */
  readonly doc: string;
}

/** Every such setting. Order = README order. */
export const APP_SETTING_TABLE = [
  { env: 'PORT', default: '3000', integer: true, doc: 'HTTP port' },
  {
    env: 'AMQP_URL',
    default: 'amqp://guest:guest@127.0.0.1:5672',
    integer: false,
    doc: 'broker URL; several comma-separated URLs are tried in turn',
  },
  {
    env: 'DATABASE_URL',
    default: 'postgres://postgres@127.0.0.1:5432/warren',
    integer: false,
    doc: 'PostgreSQL of the orders, the stock ledger and the outbox and inbox tables (`scripts/start.sh` creates the database if missing)',
  },
  {
    env: 'OUTBOX_MAX_PENDING',
    default: '100000',
    integer: true,
    doc: 'events waiting in the outbox above which `POST /orders` answers 503 with `Retry-After`',
  },
  {
    env: 'OUTBOX_MAX_PENDING_AGE_MS',
    default: '900000',
    integer: true,
    doc: 'age of the oldest event waiting in the outbox above which `POST /orders` answers 503 with `Retry-After`',
  },
  { env: 'SERVICE_NAME', default: 'warren', integer: false, doc: 'prefix of queue names and connection names' },
  { env: 'EVENTS_EXCHANGE', default: 'warren.events', integer: false, doc: 'topic exchange events are published to' },
  { env: 'QUEUE_TYPE', default: 'quorum', integer: false, doc: '`quorum` or `classic` for handler, retry and dead-letter queues' },
  {
    env: 'CODEC',
    default: 'json',
    integer: false,
    doc: "codec of published events: `json` or `msgpack` (consumers follow each message's `content-type`)",
  },
  {
    env: 'COMPRESSION',
    default: 'gzip',
    integer: false,
    doc: '`gzip`, `deflate` or `none`: how published bodies of at least `COMPRESS_THRESHOLD_BYTES` are compressed',
  },
  { env: 'RETRY_ATTEMPTS', default: '5', integer: true, doc: 'retries after the first delivery (per-handler `@Retry` overrides)' },
  { env: 'RETRY_DELAYS_MS', default: '1000,5000,30000,120000,600000', integer: false, doc: 'delay before each retry; the last repeats' },
  {
    env: 'MEMORY_HIGH_WATERMARK_BYTES',
    default: '0',
    integer: true,
    doc: 'RSS above which consumption pauses (resumes below 55 % of the limit); `0` = 70 % of the container limit against RSS or, without a container limit, 70 % of the V8 heap limit against the used heap (RSS also holds code and pages V8 keeps, so against a small heap limit it could stay above the low mark and never resume)',
  },
  { env: 'AMQP_TLS_CA_FILE', default: '', integer: false, doc: 'PEM file of the CA that verifies the broker, for `amqps://`' },
  { env: 'AMQP_TLS_CERT_FILE', default: '', integer: false, doc: 'PEM client certificate, for `amqps://` when the broker asks for one' },
  { env: 'AMQP_TLS_KEY_FILE', default: '', integer: false, doc: 'PEM key of the client certificate' },
  { env: 'AMQP_TLS_SERVERNAME', default: '', integer: false, doc: 'name the broker certificate is verified against (empty = the host of the URL)' },
  { env: 'HTTP_BODY_LIMIT_BYTES', default: String(256 * 1024), integer: true, doc: 'larger request bodies get 413' },
  { env: 'HTTP_BODY_MAX_DEPTH', default: '32', integer: true, doc: 'JSON bodies nested deeper get 400, checked before parsing (1–1000)' },
  {
    env: 'HTTP_BODY_MAX_MEMBERS',
    default: '10000',
    integer: true,
    doc: 'JSON bodies with more members in one array or object get 400, checked before parsing',
  },
  // Above the idle timeouts of common load balancers (AWS ALB 60 s): the balancer, not the
  // service, must close an idle connection, or a request sent on it as it closes gets a 502.
  {
    env: 'HTTP_KEEP_ALIVE_TIMEOUT_MS',
    default: '65000',
    integer: true,
    doc: "idle keep-alive connections close after this; keep it above the load balancer's idle timeout (AWS ALB: 60 s), or requests sent as the service closes get 502",
  },
  {
    env: 'HTTP_HEADERS_TIMEOUT_MS',
    default: '10000',
    integer: true,
    doc: 'a client slower than this to send its headers gets 408 and is disconnected (slowloris); at most `HTTP_REQUEST_TIMEOUT_MS`',
  },
  { env: 'HTTP_REQUEST_TIMEOUT_MS', default: '30000', integer: true, doc: 'the whole request (headers and body) must arrive within this' },
  { env: 'METRICS_PORT', default: '9464', integer: true, doc: 'port of `GET /metrics` (not served on `PORT`); `0` = any free port (tests)' },
  {
    env: 'LOG_FORMAT',
    default: 'auto',
    integer: false,
    doc: "`auto`: `text` when stdout is a terminal, `json` otherwise; `json`: one JSON object per line with `correlationId`; `text`: Nest's console lines (see **Logs** under Operations)",
  },
  {
    env: 'READINESS_DETAILS',
    default: 'false',
    integer: false,
    doc: '`true`: `GET /health/ready` on `PORT` also shows its details (connections, consumers, queue names and depths, memory); `false`: only `{"status":…}` and the status code, as the public port is reachable by any client (the same figures are on `METRICS_PORT`)',
  },
  {
    env: 'LOG_LEVEL',
    default: 'log',
    integer: false,
    doc: '`error`, `warn`, `log`, `debug` or `verbose`: the least severe level written (`debug` and `verbose` write lines per message)',
  },
  {
    env: 'SHUTDOWN_DELAY_MS',
    default: '0',
    integer: true,
    doc: 'on SIGTERM, readiness fails at once but HTTP keeps serving this long before closing (use where no preStop hook delays)',
  },
  { env: 'MAILER_DELAY_MS', default: '0', integer: true, doc: 'demo mailer latency, to simulate a slow or hung downstream' },
  { env: 'INVENTORY_LOOKUP_DELAY_MS', default: '0', integer: true, doc: 'demo inventory lookup latency (`GET /inventory/:sku`), to see the 504' },
] as const satisfies readonly AppSettingDefinition[];
