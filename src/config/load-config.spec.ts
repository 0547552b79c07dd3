import { describe, expect, it } from '@jest/globals';
import { AppConfig } from './app-config.js';
import { CONFIG_DEFAULTS } from './config.defaults.js';
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
  it('applies the defaults when nothing is set', () => {
    const config = loadConfig({});
    expect(config).toBeInstanceOf(AppConfig);
    expect({ ...config }).toEqual({
      port: 3000,
      amqpUrls: ['amqp://guest:guest@127.0.0.1:5672'],
      serviceName: 'warren',
      eventsExchange: 'warren.events',
      prefetch: 50,
      queueType: 'quorum',
      maxMessageBytes: 256 * 1024,
      codec: 'json',
      compression: 'gzip',
      compressThresholdBytes: 64 * 1024,
      publishTimeoutMs: 5000,
      shutdownGraceMs: 10000,
      shutdownDelayMs: 0,
      httpBodyLimitBytes: 256 * 1024,
      handlerTimeoutMs: 30_000,
      retryAttempts: 5,
      retryDelaysMs: [1_000, 5_000, 30_000, 120_000, 600_000],
      deliveryLimit: 20,
      maxInFlightBytes: 16 * 1024 * 1024,
      memoryHighWatermarkBytes: undefined,
      maxPendingPublishes: 1_000,
      publishFailFastMs: 250,
      stuckConsumerMs: 60_000,
      readinessMaxQueueDepth: 0,
      deadLetterMaxLength: 100_000,
      unroutedMaxLength: 10_000,
      unroutedTtlMs: 604_800_000,
      reconnectBaseMs: 500,
      reconnectMaxMs: 30_000,
      tls: { caFile: undefined, certFile: undefined, keyFile: undefined, servername: undefined },
      logFormat: 'json',
      mailerDelayMs: 0,
    });
  });

  it('treats an empty variable as unset', () => {
    const config = loadConfig({ PORT: '', PREFETCH: '', AMQP_URL: '' });
    expect(config.port).toBe(3000);
    expect(config.prefetch).toBe(50);
    expect(config.amqpUrls).toEqual([CONFIG_DEFAULTS.AMQP_URL]);
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
    expect(config.serviceName).toBe('orders-api');
    expect(config.eventsExchange).toBe('shop.events');
    expect(config.prefetch).toBe(10000);
    expect(config.queueType).toBe('classic');
    expect(config.maxMessageBytes).toBe(2048);
    expect(config.publishTimeoutMs).toBe(100);
    expect(config.shutdownGraceMs).toBe(2500);
    expect(config.httpBodyLimitBytes).toBe(4096);
    expect(config.mailerDelayMs).toBe(15);
  });

  it('reads the codec and compression settings', () => {
    const config = loadConfig({ CODEC: 'msgpack', COMPRESSION: 'deflate', COMPRESS_THRESHOLD_BYTES: '4096' });
    expect(config.codec).toBe('msgpack');
    expect(config.compression).toBe('deflate');
    expect(config.compressThresholdBytes).toBe(4096);
  });

  it('splits a comma-separated AMQP_URL into trimmed URLs', () => {
    const config = loadConfig({ AMQP_URL: 'amqp://u:p@node-1:5672, amqps://u:p@node-2:5671,amqp://node-3' });
    expect(config.amqpUrls).toEqual(['amqp://u:p@node-1:5672', 'amqps://u:p@node-2:5671', 'amqp://node-3']);
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

  it('names a non-amqp AMQP_URL without echoing its password', () => {
    const error = rejectionOf({ AMQP_URL: 'http://user:s3cretPass@x' });
    expect(error.message).toContain('AMQP_URL');
    expect(error.message).not.toContain('s3cretPass');
    expect(error.message).not.toContain('user');
  });

  it('never puts the password of any URL of a list in the error', () => {
    const error = rejectionOf({ AMQP_URL: 'amqp://a:s3cretPass@h1 bad://b:0therPass@h2', PREFETCH: 'x' });
    expect(error.message).toContain('AMQP_URL');
    expect(error.message).not.toContain('s3cretPass');
    expect(error.message).not.toContain('0therPass');
  });
});
