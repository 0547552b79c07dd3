import { describe, expect, it } from '@jest/globals';
import { RABBITMQ_DEFAULTS, resolveRabbitMQOptions } from '../rabbitmq/admin.js';
import { AppConfig } from './app-config.js';
import { SETTING_TABLE } from './setting-table.js';
import { InvalidConfigError } from './invalid-config.error.js';
import { loadConfig } from './load-config.js';

/** Runs loadConfig and returns the error it threw, failing the test if it did not throw. */
function rejectionOf(env: NodeJS.ProcessEnv): InvalidConfigError {
  try {
    loadConfig(env);
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidConfigError);
    return error as InvalidConfigError;
  }
  throw new Error(`expected ${JSON.stringify(Object.keys(env))} to be rejected`);
}

describe('loadConfig', () => {
  it('applies the defaults when nothing is set, leaving library options to the library', () => {
    const config = loadConfig({}, { stdoutIsTty: false });
    expect(config).toBeInstanceOf(AppConfig);
    expect({ ...config }).toEqual({
      // Only the options the library requires: every other one keeps RABBITMQ_DEFAULTS.
      rabbitmq: { urls: ['amqp://guest:guest@127.0.0.1:5672'], serviceName: 'warren' },
      port: 3000,
      shutdownDelayMs: 0,
      httpBodyLimitBytes: 256 * 1024,
      logFormat: 'json',
      logLevel: 'log',
      readinessDetails: false,
      mailerDelayMs: 0,
      inventoryLookupDelayMs: 0,
      httpBodyMaxDepth: 32,
      httpBodyMaxMembers: 10_000,
      httpKeepAliveTimeoutMs: 65_000,
      httpHeadersTimeoutMs: 10_000,
      httpRequestTimeoutMs: 30_000,
      metricsPort: 9464,
      databaseUrl: 'postgres://postgres@127.0.0.1:5432/warren',
      outboxMaxPending: 100_000,
      outboxMaxPendingAgeMs: 900_000,
    });
  });

  it('puts every library variable at its option path, as RabbitMQModule takes it', () => {
    const env = Object.fromEntries(SETTING_TABLE.filter((setting) => setting.path.startsWith('rabbitmq.')).map((setting) => [setting.env, '']));
    const config = loadConfig({
      ...env,
      AMQP_URL: 'amqp://a,amqps://b',
      EVENTS_EXCHANGE: 'shop.events',
      RETRY_ATTEMPTS: '2',
      RETRY_DELAYS_MS: '100, 200',
      DLQ_MAX_LENGTH: '0',
      MEMORY_HIGH_WATERMARK_BYTES: String(128 * 2 ** 20),
      AMQP_TLS_SERVERNAME: 'mq.internal',
      UNROUTED_LOG_INTERVAL_MS: '5000',
    });
    expect(config.rabbitmq).toEqual({
      urls: ['amqp://a', 'amqps://b'],
      serviceName: 'warren',
      exchange: 'shop.events',
      consume: { retry: { attempts: 2, delaysMs: [100, 200] }, deadLetterMaxLength: 0 },
      flow: { memoryHighWatermarkBytes: 128 * 2 ** 20 },
      connection: { tls: { servername: 'mq.internal' } },
      unrouted: { logIntervalMs: 5000 },
    });
    expect(resolveRabbitMQOptions(config.rabbitmq).consume.retry).toEqual({ attempts: 2, delaysMs: [100, 200] });
  });

  it('keeps the library default of the other half of a group set in part', () => {
    expect(resolveRabbitMQOptions(loadConfig({ RETRY_ATTEMPTS: '0' }).rabbitmq).consume.retry).toEqual({
      attempts: 0,
      delaysMs: RABBITMQ_DEFAULTS.consume.retry.delaysMs,
    });
  });

  it('logs text on a terminal and JSON otherwise unless LOG_FORMAT says which', () => {
    expect(loadConfig({}, { stdoutIsTty: true }).logFormat).toBe('text');
    expect(loadConfig({}, { stdoutIsTty: false }).logFormat).toBe('json');
    expect(loadConfig({ LOG_FORMAT: 'auto' }, { stdoutIsTty: true }).logFormat).toBe('text');
    expect(loadConfig({ LOG_FORMAT: 'json' }, { stdoutIsTty: true }).logFormat).toBe('json');
    expect(loadConfig({ LOG_FORMAT: 'text' }, { stdoutIsTty: false }).logFormat).toBe('text');
    expect(rejectionOf({ LOG_FORMAT: 'yaml' }).message).toContain("LOG_FORMAT must be 'auto', 'json' or 'text'");
    expect(loadConfig({ LOG_LEVEL: 'debug' }).logLevel).toBe('debug');
    expect(loadConfig({ READINESS_DETAILS: 'true' }).readinessDetails).toBe(true);
    expect(rejectionOf({ READINESS_DETAILS: 'yes' }).message).toContain("READINESS_DETAILS must be 'true' or 'false'");
    expect(rejectionOf({ LOG_LEVEL: 'trace' }).message).toContain("LOG_LEVEL must be 'error', 'warn', 'log', 'debug' or 'verbose'");
  });

  it('treats an empty variable as unset', () => {
    const config = loadConfig({ PORT: '', PREFETCH: '', AMQP_URL: '' });
    expect(config.port).toBe(3000);
    expect(config.rabbitmq.consume?.prefetch).toBeUndefined();
    expect(config.rabbitmq.urls).toEqual(['amqp://guest:guest@127.0.0.1:5672']);
  });

  it('does not read process.env when given an environment', () => {
    const saved = process.env.PORT;
    process.env.PORT = 'not-a-port';
    try {
      expect(loadConfig({}).port).toBe(3000);
    } finally {
      if (saved === undefined) {
        delete process.env.PORT;
      } else {
        process.env.PORT = saved;
      }
    }
  });

  it('parses integers and keeps strings', () => {
    const config = loadConfig({
      PORT: '8080',
      SERVICE_NAME: 'orders-api',
      EVENTS_EXCHANGE: 'shop.events',
      PREFETCH: '10000',
      QUEUE_TYPE: 'classic',
      MAX_MESSAGE_BYTES: '2048',
      PUBLISH_TIMEOUT_MS: '100',
      SHUTDOWN_GRACE_MS: '2500',
      HTTP_BODY_LIMIT_BYTES: '4096',
      MAILER_DELAY_MS: '15',
    });
    expect(config.port).toBe(8080);
    expect(config.rabbitmq).toMatchObject({
      serviceName: 'orders-api',
      exchange: 'shop.events',
      consume: { prefetch: 10000, queueType: 'classic', shutdownGraceMs: 2500 },
      encoding: { maxMessageBytes: 2048 },
      publish: { timeoutMs: 100 },
    });
    expect(config.httpBodyLimitBytes).toBe(4096);
    expect(config.mailerDelayMs).toBe(15);
  });

  it('reads the codec and compression settings', () => {
    const config = loadConfig({ CODEC: 'msgpack', COMPRESSION: 'deflate', COMPRESS_THRESHOLD_BYTES: '4096' });
    expect(config.rabbitmq.encoding).toEqual({ codec: 'msgpack', compression: 'deflate', compressThresholdBytes: 4096 });
  });

  it('splits a comma-separated AMQP_URL into trimmed URLs', () => {
    const config = loadConfig({ AMQP_URL: 'amqp://u:p@node-1:5672, amqps://u:p@node-2:5671,amqp://node-3' });
    expect(config.rabbitmq.urls).toEqual(['amqp://u:p@node-1:5672', 'amqps://u:p@node-2:5671', 'amqp://node-3']);
  });

  it.each(['abc', '12abc', '1.5', '0', '65536', '-1'])('rejects PORT=%p naming PORT', (port) => {
    const error = rejectionOf({ PORT: port });
    expect(error.name).toBe('InvalidConfigError');
    expect(error.message).toContain('PORT');
    expect(error.message).not.toContain('PREFETCH');
  });

  it('rejects PREFETCH=0 naming PREFETCH (0 would mean unbounded)', () => {
    const error = rejectionOf({ PREFETCH: '0' });
    expect(error.message).toContain('PREFETCH');
    expect(error.message).not.toContain('PORT');
  });

  it.each([
    ['QUEUE_TYPE', 'lazy'],
    ['SERVICE_NAME', 'my service'],
    ['PREFETCH', '10001'],
    ['MAX_MESSAGE_BYTES', '1023'],
    ['PUBLISH_TIMEOUT_MS', '99'],
    ['SHUTDOWN_GRACE_MS', '-1'],
    ['HTTP_BODY_LIMIT_BYTES', 'big'],
    ['MAILER_DELAY_MS', '-5'],
    ['CODEC', 'protobuf'],
    ['COMPRESSION', 'brotli'],
    ['COMPRESS_THRESHOLD_BYTES', '0'],
    ['MAX_JSON_DEPTH', '0'],
    ['MAX_JSON_DEPTH', '10001'],
  ])('rejects a bad %s and names it', (name, value) => {
    const error = rejectionOf({ [name]: value });
    expect(error.message).toContain(name);
  });

  it('names every bad variable in one error', () => {
    const error = rejectionOf({ PORT: 'abc', PREFETCH: '0', QUEUE_TYPE: 'lazy', SERVICE_NAME: 'a b' });
    expect(error.message).toContain('PORT');
    expect(error.message).toContain('PREFETCH');
    expect(error.message).toContain('QUEUE_TYPE');
    expect(error.message).toContain('SERVICE_NAME');
  });

  it('never puts the broker password in the error when another variable is bad', () => {
    const error = rejectionOf({ AMQP_URL: 'amqp://user:s3cretPass@host', PORT: 'abc' });
    expect(error.message).toContain('PORT');
    expect(error.message).not.toContain('s3cretPass');
    expect(error.message).not.toContain('AMQP_URL');
  });

  it.each(['amqp://a,http://u:pw@b', 'amqp://a,', 'amqp://a, ,amqp://b'])('rejects every URL of the list being checked: %s', (url) => {
    expect(rejectionOf({ AMQP_URL: url }).message).toContain('AMQP_URL');
  });

  it('rejects an EVENTS_EXCHANGE the broker would refuse, naming the variable', () => {
    expect(rejectionOf({ EVENTS_EXCHANGE: 'my events' }).message).toContain('EVENTS_EXCHANGE');
  });

  it('names a non-integer PORT once, without repeating range messages', () => {
    expect(rejectionOf({ PORT: 'abc' }).message).toBe('invalid configuration: PORT must be an integer');
  });

  it('names a non-amqp AMQP_URL without echoing it', () => {
    const error = rejectionOf({ AMQP_URL: 'http://user:s3cretPass@x' });
    expect(error.message).toBe('invalid configuration: AMQP_URL must start with amqp:// or amqps://');
  });

  it('reads DATABASE_URL (default: the local warren database) and names a bad one without echoing it', () => {
    expect(loadConfig({}).databaseUrl).toBe('postgres://postgres@127.0.0.1:5432/warren');
    expect(loadConfig({ DATABASE_URL: 'postgres://app:pw@db:5432/orders' }).databaseUrl).toBe('postgres://app:pw@db:5432/orders');
    const error = rejectionOf({ DATABASE_URL: 'mysql://app:s3cretPass@db/orders' });
    expect(error.message).toBe('invalid configuration: DATABASE_URL must be a postgres:// or postgresql:// URL');
  });

  it("never echoes a part of a password a ',' split off, and says how to write the comma", () => {
    const error = rejectionOf({ AMQP_URL: 'amqp://u:Sec2Pw,Zq7xK@host' });
    expect(error.message).toBe(
      'invalid configuration: AMQP_URL (URL 1 of 2) has a port that is not a number from 1 to 65535; ' +
        "AMQP_URL (URL 2 of 2) must start with amqp:// or amqps:// (a ',' inside a user name or password must be written %2C)",
    );
    expect(loadConfig({ AMQP_URL: 'amqp://u:Sec2Pw%2CZq7xK@host' }).rabbitmq.urls).toEqual(['amqp://u:Sec2Pw%2CZq7xK@host']);
  });

  it.each([
    ['amqp://u:s3cretPass@h:99999', 'port that is not a number from 1 to 65535'],
    ['amqp://u:s3cretPass@h:abc', 'port that is not a number from 1 to 65535'],
    ['amqp://u:s3cretPass@h:0', 'port that is not a number from 1 to 65535'],
    ['amqp://u:s3cretPass@[::1', "IPv6 host without its closing ']'"],
    ['amqp://[::1', "IPv6 host without its closing ']'"],
    ['amqp://u:s3cretPass@:5672', 'has no host'],
    ['amqp://u:s3cretPass@h/a/b', "vhost with a raw '/'"],
    ['amqp://u:s3cretPass@h/%zz', 'vhost with a bad %-escape'],
    ['amqp://u:s3cret%zz@h', 'bad %-escape'],
    ['amqp://u:s3cretPass@h^x', 'is not a valid URL'],
  ])('rejects AMQP_URL=%s at start-up, naming AMQP_URL and never the URL', (url, reason) => {
    const error = rejectionOf({ AMQP_URL: url });
    expect(error.message).toMatch(/^invalid configuration: AMQP_URL (has|is) /);
    expect(error.message).toContain(reason);
    expect(error.message).not.toMatch(/s3cret/);
    expect(error.message).not.toContain(url);
    expect(error.message.split('\n')).toHaveLength(1);
  });

  it('says which URL of a list is bad', () => {
    const error = rejectionOf({ AMQP_URL: 'amqp://u:pw1@a:5672,amqp://u:pw2@b:70000' });
    expect(error.message).toBe('invalid configuration: AMQP_URL (URL 2 of 2) has a port that is not a number from 1 to 65535');
  });

  it.each(['amqp://h', 'amqps://u:p@h:5671/%2F', 'amqp://u:p%40x@[::1]:5672/vhost?heartbeat=10', 'amqp://u:p@h.example:1/v'])(
    'accepts the usable AMQP_URL %s',
    (url) => {
      expect(loadConfig({ AMQP_URL: url }).rabbitmq.urls).toEqual([url]);
    },
  );

  it.each([
    'SHUTDOWN_GRACE_MS',
    'SHUTDOWN_DELAY_MS',
    'HANDLER_TIMEOUT_MS',
    'PUBLISH_FAIL_FAST_MS',
    'STUCK_CONSUMER_MS',
    'RECONNECT_BASE_MS',
    'MAILER_DELAY_MS',
    'HTTP_KEEP_ALIVE_TIMEOUT_MS',
  ])('rejects %s beyond what a Node timer holds (2^31-1 ms), naming it', (name) => {
    // The app bounds its own durations; the library bounds its options, named here by their variable.
    expect(rejectionOf({ [name]: '99999999999' }).message).toMatch(
      new RegExp(
        `^invalid configuration: ${name} must be (at most|an integer from \\d+ to) 2147483647 \\(about 24\\.8 days, the longest timer Node\\.js accepts\\)`,
      ),
    );
    expect(() => loadConfig({ [name]: String(2 ** 31 - 1), RECONNECT_MAX_MS: String(2 ** 31 - 1) })).not.toThrow();
  });

  it('rejects RECONNECT_MAX_MS below RECONNECT_BASE_MS naming both', () => {
    expect(rejectionOf({ RECONNECT_MAX_MS: '100' }).message).toBe(
      'invalid configuration: RECONNECT_MAX_MS (100) must be at least RECONNECT_BASE_MS (500): it caps the growing backoff',
    );
  });

  it('rejects a tiny MEMORY_HIGH_WATERMARK_BYTES with a message that says why', () => {
    const message = rejectionOf({ MEMORY_HIGH_WATERMARK_BYTES: '1' }).message;
    expect(message).toContain('MEMORY_HIGH_WATERMARK_BYTES must be 0 (derived from the memory limit) or at least 67108864');
    expect(message).not.toMatch(/from 1 to 0/);
    expect(loadConfig({ MEMORY_HIGH_WATERMARK_BYTES: String(64 * 2 ** 20) }).rabbitmq.flow?.memoryHighWatermarkBytes).toBe(64 * 2 ** 20);
  });

  it('reads the HTTP hardening settings and checks them against each other', () => {
    const config = loadConfig({
      HTTP_BODY_MAX_DEPTH: '8',
      HTTP_BODY_MAX_MEMBERS: '100',
      HTTP_KEEP_ALIVE_TIMEOUT_MS: '75000',
      HTTP_HEADERS_TIMEOUT_MS: '5000',
      HTTP_REQUEST_TIMEOUT_MS: '6000',
      METRICS_PORT: '0',
    });
    expect(config).toMatchObject({
      httpBodyMaxDepth: 8,
      httpBodyMaxMembers: 100,
      httpKeepAliveTimeoutMs: 75_000,
      httpHeadersTimeoutMs: 5_000,
      httpRequestTimeoutMs: 6_000,
      metricsPort: 0,
    });
    expect(rejectionOf({ HTTP_HEADERS_TIMEOUT_MS: '40000' }).message).toContain(
      'HTTP_HEADERS_TIMEOUT_MS (40000) must be at most HTTP_REQUEST_TIMEOUT_MS (30000)',
    );
    expect(rejectionOf({ METRICS_PORT: '3000' }).message).toContain('METRICS_PORT (3000) must differ from PORT');
    expect(rejectionOf({ HTTP_BODY_MAX_DEPTH: '0' }).message).toContain('HTTP_BODY_MAX_DEPTH');
    expect(rejectionOf({ METRICS_PORT: '70000' }).message).toContain('METRICS_PORT');
  });

  it('never puts the password of any URL of a list in the error', () => {
    const error = rejectionOf({ AMQP_URL: 'amqp://a:s3cretPass@h1 bad://b:0therPass@h2', PREFETCH: 'x' });
    expect(error.message).toContain('AMQP_URL');
    expect(error.message).not.toContain('s3cretPass');
    expect(error.message).not.toContain('0therPass');
  });
});
