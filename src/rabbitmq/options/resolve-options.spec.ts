import { defaultMemoryLimit } from '../flow/memory-limit.js';
import { describe, expect, it } from '@jest/globals';
import { InvalidRabbitMQOptionsError } from '../errors/invalid-options.error.js';
import { MAX_PREFETCH, RABBITMQ_DEFAULTS } from './rabbitmq-defaults.js';
import type { RabbitMQModuleOptions } from './rabbitmq-options.interface.js';
import { resolveRabbitMQOptions } from './resolve-options.js';

const REQUIRED: RabbitMQModuleOptions = { urls: ['amqp://guest:guest@127.0.0.1:5672'], serviceName: 'orders' };

/** Runs resolve and returns the error it threw, failing the test if it did not throw. */
function rejectionOf(overrides: Partial<RabbitMQModuleOptions>): InvalidRabbitMQOptionsError {
  try {
    resolveRabbitMQOptions({ ...REQUIRED, ...overrides });
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidRabbitMQOptionsError);
    return error as InvalidRabbitMQOptionsError;
  }
  throw new Error(`expected options ${JSON.stringify(overrides)} to be rejected`);
}

describe('resolveRabbitMQOptions', () => {
  it('applies every default of RABBITMQ_DEFAULTS', () => {
    expect(resolveRabbitMQOptions(REQUIRED)).toEqual({
      unroutedLogIntervalMs: 60_000,
      requestQueueMaxLength: 10_000,
      urls: REQUIRED.urls,
      serviceName: 'orders',
      exchange: RABBITMQ_DEFAULTS.exchange,
      prefetch: RABBITMQ_DEFAULTS.prefetch,
      queueType: RABBITMQ_DEFAULTS.queueType,
      maxMessageBytes: RABBITMQ_DEFAULTS.maxMessageBytes,
      publishTimeoutMs: RABBITMQ_DEFAULTS.publishTimeoutMs,
      heartbeatSeconds: RABBITMQ_DEFAULTS.heartbeatSeconds,
      reconnectBaseMs: RABBITMQ_DEFAULTS.reconnectBaseMs,
      reconnectMaxMs: RABBITMQ_DEFAULTS.reconnectMaxMs,
      tls: {},
      shutdownGraceMs: RABBITMQ_DEFAULTS.shutdownGraceMs,
      retry: RABBITMQ_DEFAULTS.retry,
      handlerTimeoutMs: 30_000,
      requestTimeoutMs: 5_000,
      maxRequestsInFlight: 1_000,
      deliveryLimit: 20,
      deadLetterMaxLength: 100_000,
      unroutedMaxLength: 10_000,
      unroutedTtlMs: 604_800_000,
      killSwitch: { window: 20, failureRatio: 0.5, cooldownMs: 30_000, enabled: true },
      maxInFlightBytes: 16 * 1024 * 1024,
      memoryHighWatermarkBytes: Math.floor(defaultMemoryLimit().bytes * 0.7),
      memoryLowWatermarkBytes: Math.floor(defaultMemoryLimit().bytes * 0.55),
      memoryMeasure: defaultMemoryLimit().measure,
      eventLoopDelayLimitMs: 1_000,
      flowCheckIntervalMs: 250,
      maxPendingPublishes: 1_000,
      maxPendingPublishBytes: 16 * 1024 * 1024,
      publishFailFastMs: 250,
      confirmStallMs: 2_000,
      connectTimeoutMs: 10_000,
      stuckConsumerMs: 60_000,
      readinessMaxQueueDepth: 0,
      codec: 'json',
      codecs: [],
      compression: 'gzip',
      compressThresholdBytes: 64 * 1024,
      allowedReplyQueues: [],
      maxJsonDepth: 64,
    });
  });

  it('compares watermarks given in bytes with RSS, unless memoryMeasure says otherwise', () => {
    expect(resolveRabbitMQOptions({ ...REQUIRED, memoryHighWatermarkBytes: 200 * 1024 * 1024 }).memoryMeasure).toBe('rss');
    expect(resolveRabbitMQOptions({ ...REQUIRED, memoryLowWatermarkBytes: 1024 * 1024 }).memoryMeasure).toBe('rss');
    expect(resolveRabbitMQOptions({ ...REQUIRED, memoryHighWatermarkBytes: 200 * 1024 * 1024, memoryMeasure: 'heap' }).memoryMeasure).toBe('heap');
  });

  it('refuses an unknown memoryMeasure, naming it', () => {
    expect(() => resolveRabbitMQOptions({ ...REQUIRED, memoryMeasure: 'vsz' as never })).toThrow("memoryMeasure must be 'rss' or 'heap', got 'vsz'");
  });

  it('refuses allowedReplyQueues that is not a list of queue names', () => {
    expect(() => resolveRabbitMQOptions({ ...REQUIRED, allowedReplyQueues: 'billing.replies' as never })).toThrow(
      'allowedReplyQueues must be an array of queue names',
    );
    expect(() => resolveRabbitMQOptions({ ...REQUIRED, allowedReplyQueues: [''] })).toThrow('allowedReplyQueues must be an array of queue names');
    expect(resolveRabbitMQOptions({ ...REQUIRED, allowedReplyQueues: ['billing.replies'] }).allowedReplyQueues).toEqual(['billing.replies']);
  });

  it('has the documented default values', () => {
    const resolved = resolveRabbitMQOptions(REQUIRED);
    expect(resolved.prefetch).toBe(50);
    expect(resolved.exchange).toBe('warren.events');
    expect(resolved.queueType).toBe('quorum');
    expect(resolved.maxMessageBytes).toBe(256 * 1024);
    expect(resolved.publishTimeoutMs).toBe(5000);
  });

  it('keeps values that are given', () => {
    const resolved = resolveRabbitMQOptions({
      urls: ['amqps://a.example', 'amqp://b.example'],
      serviceName: 'billing.v2',
      exchange: 'billing.events',
      prefetch: 7,
      queueType: 'classic',
      maxMessageBytes: 2048,
      publishTimeoutMs: 250,
      heartbeatSeconds: 30,
      reconnectBaseMs: 300,
      shutdownGraceMs: 1,
    });
    expect(resolved).toMatchObject({
      urls: ['amqps://a.example', 'amqp://b.example'],
      serviceName: 'billing.v2',
      exchange: 'billing.events',
      prefetch: 7,
      queueType: 'classic',
      maxMessageBytes: 2048,
      publishTimeoutMs: 250,
      heartbeatSeconds: 30,
      reconnectBaseMs: 300,
      shutdownGraceMs: 1,
    });
  });

  it('ignores fields that are present but undefined', () => {
    const resolved = resolveRabbitMQOptions({
      ...REQUIRED,
      exchange: undefined,
      prefetch: undefined,
      queueType: undefined,
      publishTimeoutMs: undefined,
    });
    expect(resolved.exchange).toBe(RABBITMQ_DEFAULTS.exchange);
    expect(resolved.prefetch).toBe(RABBITMQ_DEFAULTS.prefetch);
    expect(resolved.queueType).toBe(RABBITMQ_DEFAULTS.queueType);
    expect(resolved.publishTimeoutMs).toBe(RABBITMQ_DEFAULTS.publishTimeoutMs);
  });

  it('does not modify the options object it was given', () => {
    const options: RabbitMQModuleOptions = { ...REQUIRED, prefetch: undefined };
    resolveRabbitMQOptions(options);
    expect(options).toEqual({ ...REQUIRED, prefetch: undefined });
  });

  it('accepts shutdownGraceMs 0 (requeue in-flight messages at once)', () => {
    expect(resolveRabbitMQOptions({ ...REQUIRED, shutdownGraceMs: 0 }).shutdownGraceMs).toBe(0);
  });

  it('accepts the prefetch bounds 1 and MAX_PREFETCH', () => {
    expect(resolveRabbitMQOptions({ ...REQUIRED, prefetch: 1 }).prefetch).toBe(1);
    expect(resolveRabbitMQOptions({ ...REQUIRED, prefetch: MAX_PREFETCH }).prefetch).toBe(MAX_PREFETCH);
  });

  it.each([
    ['empty urls', 'urls', { urls: [] }],
    ['missing urls', 'urls', { urls: undefined }],
    ['non-amqp url', 'urls', { urls: ['http://guest:guest@localhost:5672'] }],
    ['one non-amqp url among good ones', 'urls', { urls: ['amqp://a', 'redis://b'] }],
    ['serviceName with a space', 'serviceName', { serviceName: 'my service' }],
    ['empty serviceName', 'serviceName', { serviceName: '' }],
    ['missing serviceName', 'serviceName', { serviceName: undefined }],
    ['exchange with a space', 'exchange', { exchange: 'my events' }],
    ['prefetch 0', 'prefetch', { prefetch: 0 }],
    ['prefetch 1.5', 'prefetch', { prefetch: 1.5 }],
    ['prefetch 10001', 'prefetch', { prefetch: 10_001 }],
    ['prefetch NaN', 'prefetch', { prefetch: Number.NaN }],
    ["queueType 'lazy'", 'queueType', { queueType: 'lazy' }],
    ['publishTimeoutMs 0', 'publishTimeoutMs', { publishTimeoutMs: 0 }],
    ['maxMessageBytes -1', 'maxMessageBytes', { maxMessageBytes: -1 }],
    ['heartbeatSeconds 0.5', 'heartbeatSeconds', { heartbeatSeconds: 0.5 }],
    ['reconnectBaseMs 0', 'reconnectBaseMs', { reconnectBaseMs: 0 }],
    ['reconnectMaxMs below the base', 'reconnectMaxMs', { reconnectBaseMs: 1000, reconnectMaxMs: 999 }],
    ['shutdownGraceMs -1', 'shutdownGraceMs', { shutdownGraceMs: -1 }],
  ])('rejects %s with an error naming %s', (_case, option, overrides) => {
    const error = rejectionOf(overrides as Partial<RabbitMQModuleOptions>);
    expect(error.name).toBe('InvalidRabbitMQOptionsError');
    expect(error.message).toMatch(new RegExp(`^${option}\\b`));
  });

  it('says what was wrong with prefetch, including the bound and the value', () => {
    const error = rejectionOf({ prefetch: 10_001 });
    expect(error.message).toContain(String(MAX_PREFETCH));
    expect(error.message).toContain('10001');
  });

  it('does not echo a URL (and so its password) when rejecting urls', () => {
    const error = rejectionOf({ urls: ['http://user:s3cretPass@host'] });
    expect(error.message).not.toContain('s3cretPass');
  });

  describe('retry, handler timeout, delivery limit and kill switch', () => {
    it('defaults retry to RABBITMQ_DEFAULTS.retry (5 retries at 1 s, 5 s, 30 s, 2 min, 10 min)', () => {
      const resolved = resolveRabbitMQOptions(REQUIRED);
      expect(resolved.retry).toEqual(RABBITMQ_DEFAULTS.retry);
      expect(resolved.retry).toEqual({ attempts: 5, delaysMs: [1_000, 5_000, 30_000, 120_000, 600_000] });
    });

    it('defaults handlerTimeoutMs to 30000 and deliveryLimit to 20', () => {
      const resolved = resolveRabbitMQOptions(REQUIRED);
      expect(resolved.handlerTimeoutMs).toBe(30_000);
      expect(resolved.deliveryLimit).toBe(20);
    });

    it('defaults the kill switch to window 20, ratio 0.5, cool-down 30 s, enabled', () => {
      expect(resolveRabbitMQOptions(REQUIRED).killSwitch).toEqual({
        window: 20,
        failureRatio: 0.5,
        cooldownMs: 30_000,
        enabled: true,
      });
    });

    it('keeps a given retry policy, handler timeout and delivery limit', () => {
      const resolved = resolveRabbitMQOptions({
        ...REQUIRED,
        retry: { attempts: 2, delaysMs: [250] },
        handlerTimeoutMs: 1_500,
        deliveryLimit: 3,
      });
      expect(resolved.retry).toEqual({ attempts: 2, delaysMs: [250] });
      expect(resolved.handlerTimeoutMs).toBe(1_500);
      expect(resolved.deliveryLimit).toBe(3);
    });

    it('accepts retry with no attempts and no delays', () => {
      expect(resolveRabbitMQOptions({ ...REQUIRED, retry: { attempts: 0, delaysMs: [] } }).retry).toEqual({
        attempts: 0,
        delaysMs: [],
      });
    });

    it('merges a partial kill switch with the defaults', () => {
      expect(resolveRabbitMQOptions({ ...REQUIRED, killSwitch: { window: 5 } }).killSwitch).toEqual({
        window: 5,
        failureRatio: 0.5,
        cooldownMs: 30_000,
        enabled: true,
      });
      expect(resolveRabbitMQOptions({ ...REQUIRED, killSwitch: { enabled: false, failureRatio: 1 } }).killSwitch).toEqual({
        window: 20,
        failureRatio: 1,
        cooldownMs: 30_000,
        enabled: false,
      });
    });

    it('ignores kill switch fields that are present but undefined', () => {
      const resolved = resolveRabbitMQOptions({ ...REQUIRED, killSwitch: { window: undefined, cooldownMs: 1_000 } });
      expect(resolved.killSwitch).toEqual({ window: 20, failureRatio: 0.5, cooldownMs: 1_000, enabled: true });
    });

    it('ignores retry, handlerTimeoutMs and deliveryLimit that are present but undefined', () => {
      const resolved = resolveRabbitMQOptions({
        ...REQUIRED,
        retry: undefined,
        handlerTimeoutMs: undefined,
        deliveryLimit: undefined,
        killSwitch: undefined,
      });
      expect(resolved.retry).toEqual(RABBITMQ_DEFAULTS.retry);
      expect(resolved.handlerTimeoutMs).toBe(30_000);
      expect(resolved.deliveryLimit).toBe(20);
      expect(resolved.killSwitch.window).toBe(20);
    });

    it('does not modify the kill switch object it was given', () => {
      const killSwitch = { window: 5 };
      resolveRabbitMQOptions({ ...REQUIRED, killSwitch });
      expect(killSwitch).toEqual({ window: 5 });
    });

    it.each([
      ['killSwitch.failureRatio 0', 'killSwitch.failureRatio', { killSwitch: { failureRatio: 0 } }],
      ['killSwitch.failureRatio 1.5', 'killSwitch.failureRatio', { killSwitch: { failureRatio: 1.5 } }],
      ['killSwitch.failureRatio -0.1', 'killSwitch.failureRatio', { killSwitch: { failureRatio: -0.1 } }],
      ['killSwitch.failureRatio NaN', 'killSwitch.failureRatio', { killSwitch: { failureRatio: Number.NaN } }],
      ["killSwitch.failureRatio '0.5'", 'killSwitch.failureRatio', { killSwitch: { failureRatio: '0.5' } }],
      ['killSwitch.window 0', 'killSwitch.window', { killSwitch: { window: 0 } }],
      ['killSwitch.window 10001', 'killSwitch.window', { killSwitch: { window: 10_001 } }],
      ['killSwitch.window 2.5', 'killSwitch.window', { killSwitch: { window: 2.5 } }],
      ['killSwitch.cooldownMs 0', 'killSwitch.cooldownMs', { killSwitch: { cooldownMs: 0 } }],
      ['handlerTimeoutMs 0', 'handlerTimeoutMs', { handlerTimeoutMs: 0 }],
      ['handlerTimeoutMs 1.5', 'handlerTimeoutMs', { handlerTimeoutMs: 1.5 }],
      ['deliveryLimit 0', 'deliveryLimit', { deliveryLimit: 0 }],
      ['deliveryLimit -1', 'deliveryLimit', { deliveryLimit: -1 }],
    ])('rejects %s with an error naming %s', (_case, option, overrides) => {
      const error = rejectionOf(overrides as Partial<RabbitMQModuleOptions>);
      expect(error.message.startsWith(`${option} `)).toBe(true);
    });

    it.each([
      ['attempts -1', { attempts: -1, delaysMs: [1_000] }, 'retry.attempts '],
      ['attempts 101', { attempts: 101, delaysMs: [1_000] }, 'retry.attempts '],
      ['attempts without delays', { attempts: 3, delaysMs: [] }, 'retry.delaysMs '],
      ['a zero delay', { attempts: 3, delaysMs: [1_000, 0] }, 'retry.delaysMs '],
    ])('rejects a retry policy with %s, naming retry.', (_case, retry, prefix) => {
      const error = rejectionOf({ retry });
      expect(error.message.startsWith(prefix)).toBe(true);
    });

    it('accepts the kill switch bounds: ratio 1, window 1 and 10000', () => {
      expect(resolveRabbitMQOptions({ ...REQUIRED, killSwitch: { failureRatio: 1 } }).killSwitch.failureRatio).toBe(1);
      expect(resolveRabbitMQOptions({ ...REQUIRED, killSwitch: { window: 1 } }).killSwitch.window).toBe(1);
      expect(resolveRabbitMQOptions({ ...REQUIRED, killSwitch: { window: 10_000 } }).killSwitch.window).toBe(10_000);
    });
  });
});

describe('resolveRabbitMQOptions: values Node timers cannot hold, and wrong types', () => {
  const REQUIRED_OPTIONS: RabbitMQModuleOptions = { urls: ['amqp://localhost'], serviceName: 'svc' };

  it.each(['handlerTimeoutMs', 'publishTimeoutMs', 'shutdownGraceMs', 'publishFailFastMs', 'confirmStallMs'] as const)(
    'rejects %s above 2^31-1 ms, which setTimeout would fire after 1 ms',
    (option) => {
      expect(() => resolveRabbitMQOptions({ ...REQUIRED_OPTIONS, [option]: 3_000_000_000 })).toThrow(new RegExp(`^${option} must be an integer`));
    },
  );

  it('rejects a kill switch cool-down above 2^31-1 ms', () => {
    expect(() => resolveRabbitMQOptions({ ...REQUIRED_OPTIONS, killSwitch: { cooldownMs: 3_000_000_000 } })).toThrow(/^killSwitch\.cooldownMs/);
  });

  it('rejects retry: null with an error naming retry', () => {
    expect(() => resolveRabbitMQOptions({ ...REQUIRED_OPTIONS, retry: null as never })).toThrow(InvalidRabbitMQOptionsError);
    expect(() => resolveRabbitMQOptions({ ...REQUIRED_OPTIONS, retry: null as never })).toThrow(/^retry must be an object/);
  });

  it('rejects a killSwitch.enabled that is not a boolean', () => {
    expect(() => resolveRabbitMQOptions({ ...REQUIRED_OPTIONS, killSwitch: { enabled: 'no' as never } })).toThrow(/^killSwitch\.enabled/);
  });
});
