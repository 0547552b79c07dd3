import { defaultMemoryLimit } from '../flow/memory-limit.js';
import { describe, expect, it } from '@jest/globals';
import { InvalidRabbitMQOptionsError } from '../errors/invalid-options.error.js';
import { MAX_PREFETCH } from './option-bounds.js';
import { RABBITMQ_DEFAULTS } from './rabbitmq-defaults.js';
import type { RabbitMQModuleOptions } from './rabbitmq-options.interface.js';
import { resolveRabbitMQOptions } from './resolve-options.js';

/** `{ a: { b: value } }` for the path 'a.b': one option given, as a caller nests it. */
function given(path: string, value: unknown): Partial<RabbitMQModuleOptions> {
  return path.split('.').reduceRight<unknown>((inner, key) => ({ [key]: inner }), value) as Partial<RabbitMQModuleOptions>;
}

function valueAt(object: object, path: string): unknown {
  return path.split('.').reduce<unknown>((node, key) => (node as Record<string, unknown> | undefined)?.[key], object);
}

/** Every option path of the defaults ('consume.killSwitch.window', …); lists and empty groups are options themselves. */
function leafPaths(node: object, prefix = ''): string[] {
  return Object.entries(node as Record<string, unknown>).flatMap(([key, value]) =>
    value !== null && typeof value === 'object' && !Array.isArray(value) && Object.keys(value).length > 0
      ? leafPaths(value, `${prefix}${key}.`)
      : [`${prefix}${key}`],
  );
}

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
  it('applies every default of RABBITMQ_DEFAULTS, group by group; the memory watermarks derive from the memory limit', () => {
    const limit = defaultMemoryLimit();
    expect(resolveRabbitMQOptions(REQUIRED)).toEqual({
      ...RABBITMQ_DEFAULTS,
      ...REQUIRED,
      flow: {
        ...RABBITMQ_DEFAULTS.flow,
        memoryHighWatermarkBytes: Math.floor(limit.bytes * 0.7),
        memoryLowWatermarkBytes: Math.floor(limit.bytes * 0.55),
        memoryMeasure: limit.measure,
      },
      outbox: undefined,
    });
  });

  it('spreads each group given in part over its defaults, for every option of every group', () => {
    for (const path of leafPaths(RABBITMQ_DEFAULTS).filter((leaf) => !leaf.startsWith('outbox.') && !leaf.startsWith('flow.memory'))) {
      const value = valueAt(RABBITMQ_DEFAULTS, path);
      const [group] = path.split('.');
      const resolved = resolveRabbitMQOptions({ ...REQUIRED, ...given(path, value) });
      expect({ path, value: valueAt(resolved, path) }).toEqual({ path, value });
      expect({ path, group: valueAt(resolved, group) }).toEqual({ path, group: valueAt(resolveRabbitMQOptions(REQUIRED), group) });
    }
  });

  it('compares watermarks given in bytes with RSS, unless memoryMeasure says otherwise', () => {
    expect(resolveRabbitMQOptions({ ...REQUIRED, flow: { memoryHighWatermarkBytes: 200 * 1024 * 1024 } }).flow.memoryMeasure).toBe('rss');
    expect(resolveRabbitMQOptions({ ...REQUIRED, flow: { memoryLowWatermarkBytes: 1024 * 1024 } }).flow.memoryMeasure).toBe('rss');
    expect(
      resolveRabbitMQOptions({ ...REQUIRED, flow: { memoryHighWatermarkBytes: 200 * 1024 * 1024, memoryMeasure: 'heap' } }).flow.memoryMeasure,
    ).toBe('heap');
  });

  it('refuses an unknown memoryMeasure, naming it', () => {
    expect(() => resolveRabbitMQOptions({ ...REQUIRED, flow: { memoryMeasure: 'vsz' as never } })).toThrow(
      "flow.memoryMeasure must be 'rss' or 'heap', got 'vsz'",
    );
  });

  it('refuses allowedReplyQueues that is not a list of queue names', () => {
    expect(() => resolveRabbitMQOptions({ ...REQUIRED, requests: { allowedReplyQueues: 'billing.replies' as never } })).toThrow(
      'requests.allowedReplyQueues must be an array of queue names',
    );
    expect(() => resolveRabbitMQOptions({ ...REQUIRED, requests: { allowedReplyQueues: [''] } })).toThrow(
      'requests.allowedReplyQueues must be an array of queue names',
    );
    expect(resolveRabbitMQOptions({ ...REQUIRED, requests: { allowedReplyQueues: ['billing.replies'] } }).requests.allowedReplyQueues).toEqual([
      'billing.replies',
    ]);
  });

  it('has the documented default values', () => {
    const resolved = resolveRabbitMQOptions(REQUIRED);
    expect(resolved.consume.prefetch).toBe(50);
    expect(resolved.exchange).toBe('warren.events');
    expect(resolved.consume.queueType).toBe('quorum');
    expect(resolved.encoding.maxMessageBytes).toBe(256 * 1024);
    expect(resolved.publish.timeoutMs).toBe(5000);
  });

  it('keeps values that are given', () => {
    const resolved = resolveRabbitMQOptions({
      urls: ['amqps://a.example', 'amqp://b.example'],
      serviceName: 'billing.v2',
      exchange: 'billing.events',
      publish: { timeoutMs: 250 },
      connection: { heartbeatSeconds: 30, reconnectBaseMs: 300 },
      consume: { prefetch: 7, queueType: 'classic', shutdownGraceMs: 1 },
      encoding: { maxMessageBytes: 2048 },
    });
    expect(resolved).toMatchObject({
      urls: ['amqps://a.example', 'amqp://b.example'],
      serviceName: 'billing.v2',
      exchange: 'billing.events',
      publish: { timeoutMs: 250, failFastMs: 250 },
      connection: { heartbeatSeconds: 30, reconnectBaseMs: 300, reconnectMaxMs: 1_000 },
      consume: { prefetch: 7, queueType: 'classic', shutdownGraceMs: 1, handlerTimeoutMs: 30_000 },
      encoding: { maxMessageBytes: 2048, codec: 'json' },
    });
  });

  it('ignores fields that are present but undefined', () => {
    const resolved = resolveRabbitMQOptions({
      ...REQUIRED,
      exchange: undefined,
      publish: { timeoutMs: undefined },
      consume: { prefetch: undefined, queueType: undefined },
    });
    expect(resolved.exchange).toBe(RABBITMQ_DEFAULTS.exchange);
    expect(resolved.consume.prefetch).toBe(RABBITMQ_DEFAULTS.consume.prefetch);
    expect(resolved.consume.queueType).toBe(RABBITMQ_DEFAULTS.consume.queueType);
    expect(resolved.publish.timeoutMs).toBe(RABBITMQ_DEFAULTS.publish.timeoutMs);
  });

  it('does not modify the options object it was given', () => {
    const options: RabbitMQModuleOptions = { ...REQUIRED, consume: { prefetch: undefined } };
    resolveRabbitMQOptions(options);
    expect(options).toEqual({ ...REQUIRED, consume: { prefetch: undefined } });
  });

  it('accepts shutdownGraceMs 0 (requeue in-flight messages at once)', () => {
    expect(resolveRabbitMQOptions({ ...REQUIRED, consume: { shutdownGraceMs: 0 } }).consume.shutdownGraceMs).toBe(0);
  });

  it('accepts the prefetch bounds 1 and MAX_PREFETCH', () => {
    expect(resolveRabbitMQOptions({ ...REQUIRED, consume: { prefetch: 1 } }).consume.prefetch).toBe(1);
    expect(resolveRabbitMQOptions({ ...REQUIRED, consume: { prefetch: MAX_PREFETCH } }).consume.prefetch).toBe(MAX_PREFETCH);
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
    ['consume.prefetch 0', 'consume.prefetch', given('consume.prefetch', 0)],
    ['consume.prefetch 1.5', 'consume.prefetch', given('consume.prefetch', 1.5)],
    ['consume.prefetch 10001', 'consume.prefetch', given('consume.prefetch', 10_001)],
    ['consume.prefetch NaN', 'consume.prefetch', given('consume.prefetch', Number.NaN)],
    ["consume.queueType 'lazy'", 'consume.queueType', given('consume.queueType', 'lazy')],
    ['publish.timeoutMs 0', 'publish.timeoutMs', given('publish.timeoutMs', 0)],
    ['encoding.maxMessageBytes -1', 'encoding.maxMessageBytes', given('encoding.maxMessageBytes', -1)],
    ['connection.heartbeatSeconds 0.5', 'connection.heartbeatSeconds', given('connection.heartbeatSeconds', 0.5)],
    ['connection.reconnectBaseMs 0', 'connection.reconnectBaseMs', given('connection.reconnectBaseMs', 0)],
    ['connection.reconnectMaxMs below the base', 'connection.reconnectMaxMs', { connection: { reconnectBaseMs: 1000, reconnectMaxMs: 999 } }],
    ['consume.shutdownGraceMs -1', 'consume.shutdownGraceMs', given('consume.shutdownGraceMs', -1)],
    ['a group that is not an object', 'publish', given('publish', 5)],
    ['a nested group that is null', 'consume.killSwitch', given('consume.killSwitch', null)],
  ])('rejects %s with an error naming %s', (_case, option, overrides) => {
    const error = rejectionOf(overrides as Partial<RabbitMQModuleOptions>);
    expect(error.name).toBe('InvalidRabbitMQOptionsError');
    expect(error.message).toMatch(new RegExp(`^${option.replaceAll('.', '\\.')}\\b`));
    expect(error.problems.map((problem) => problem.path)).toContain(option);
  });

  it('says what was wrong with prefetch, including the bound and the value', () => {
    const error = rejectionOf({ consume: { prefetch: 10_001 } });
    expect(error.message).toContain(String(MAX_PREFETCH));
    expect(error.message).toContain('10001');
  });

  it('refuses an option no group has, pointing a pre-grouping name at its group, instead of ignoring it', () => {
    const flat = { deliveryLimit: 2 } as unknown as Partial<RabbitMQModuleOptions>;
    expect(rejectionOf(flat).message).toContain('deliveryLimit is not an option: did you mean consume.deliveryLimit?');
    const misspelt = { consume: { prefech: 3 } } as unknown as Partial<RabbitMQModuleOptions>;
    expect(rejectionOf(misspelt).message).toContain('consume.prefech is not an option');
    expect(() => resolveRabbitMQOptions({ ...REQUIRED, connection: { tls: { caFile: '/ca.pem' } } })).not.toThrow();
  });

  it('does not echo a URL (and so its password) when rejecting urls', () => {
    const error = rejectionOf({ urls: ['http://user:s3cretPass@host'] });
    expect(error.message).not.toContain('s3cretPass');
  });

  describe('retry, handler timeout, delivery limit and kill switch', () => {
    it('defaults retry to RABBITMQ_DEFAULTS.retry (5 retries at 1 s, 5 s, 30 s, 2 min, 10 min)', () => {
      const resolved = resolveRabbitMQOptions(REQUIRED);
      expect(resolved.consume.retry).toEqual(RABBITMQ_DEFAULTS.consume.retry);
      expect(resolved.consume.retry).toEqual({ attempts: 5, delaysMs: [1_000, 5_000, 30_000, 120_000, 600_000] });
    });

    it('defaults handlerTimeoutMs to 30000 and deliveryLimit to 20', () => {
      const resolved = resolveRabbitMQOptions(REQUIRED);
      expect(resolved.consume.handlerTimeoutMs).toBe(30_000);
      expect(resolved.consume.deliveryLimit).toBe(20);
    });

    it('defaults the kill switch to window 20, ratio 0.5, cool-down 30 s, enabled', () => {
      expect(resolveRabbitMQOptions(REQUIRED).consume.killSwitch).toEqual({
        window: 20,
        failureRatio: 0.5,
        cooldownMs: 30_000,
        enabled: true,
      });
    });

    it('keeps a given retry policy, handler timeout and delivery limit', () => {
      const resolved = resolveRabbitMQOptions({
        ...REQUIRED,
        consume: { retry: { attempts: 2, delaysMs: [250] }, handlerTimeoutMs: 1_500, deliveryLimit: 3 },
      });
      expect(resolved.consume.retry).toEqual({ attempts: 2, delaysMs: [250] });
      expect(resolved.consume.handlerTimeoutMs).toBe(1_500);
      expect(resolved.consume.deliveryLimit).toBe(3);
    });

    it('accepts retry with no attempts and no delays', () => {
      expect(resolveRabbitMQOptions({ ...REQUIRED, consume: { retry: { attempts: 0, delaysMs: [] } } }).consume.retry).toEqual({
        attempts: 0,
        delaysMs: [],
      });
    });

    it('merges a partial kill switch with the defaults', () => {
      expect(resolveRabbitMQOptions({ ...REQUIRED, consume: { killSwitch: { window: 5 } } }).consume.killSwitch).toEqual({
        window: 5,
        failureRatio: 0.5,
        cooldownMs: 30_000,
        enabled: true,
      });
      expect(resolveRabbitMQOptions({ ...REQUIRED, consume: { killSwitch: { enabled: false, failureRatio: 1 } } }).consume.killSwitch).toEqual({
        window: 20,
        failureRatio: 1,
        cooldownMs: 30_000,
        enabled: false,
      });
    });

    it('ignores kill switch fields that are present but undefined', () => {
      const resolved = resolveRabbitMQOptions({ ...REQUIRED, consume: { killSwitch: { window: undefined, cooldownMs: 1_000 } } });
      expect(resolved.consume.killSwitch).toEqual({ window: 20, failureRatio: 0.5, cooldownMs: 1_000, enabled: true });
    });

    it('ignores retry, handlerTimeoutMs and deliveryLimit that are present but undefined', () => {
      const resolved = resolveRabbitMQOptions({
        ...REQUIRED,
        consume: { retry: undefined, handlerTimeoutMs: undefined, deliveryLimit: undefined, killSwitch: undefined },
      });
      expect(resolved.consume.retry).toEqual(RABBITMQ_DEFAULTS.consume.retry);
      expect(resolved.consume.handlerTimeoutMs).toBe(30_000);
      expect(resolved.consume.deliveryLimit).toBe(20);
      expect(resolved.consume.killSwitch.window).toBe(20);
    });

    it('does not modify the kill switch object it was given', () => {
      const killSwitch = { window: 5 };
      resolveRabbitMQOptions({ ...REQUIRED, consume: { killSwitch: killSwitch } });
      expect(killSwitch).toEqual({ window: 5 });
    });

    it.each([
      ['consume.killSwitch.failureRatio 0', 'consume.killSwitch.failureRatio', given('consume.killSwitch.failureRatio', 0)],
      ['consume.killSwitch.failureRatio 1.5', 'consume.killSwitch.failureRatio', given('consume.killSwitch.failureRatio', 1.5)],
      ['consume.killSwitch.failureRatio -0.1', 'consume.killSwitch.failureRatio', given('consume.killSwitch.failureRatio', -0.1)],
      ['consume.killSwitch.failureRatio NaN', 'consume.killSwitch.failureRatio', given('consume.killSwitch.failureRatio', Number.NaN)],
      ["consume.killSwitch.failureRatio '0.5'", 'consume.killSwitch.failureRatio', given('consume.killSwitch.failureRatio', '0.5')],
      ['consume.killSwitch.window 0', 'consume.killSwitch.window', given('consume.killSwitch.window', 0)],
      ['consume.killSwitch.window 10001', 'consume.killSwitch.window', given('consume.killSwitch.window', 10_001)],
      ['consume.killSwitch.window 2.5', 'consume.killSwitch.window', given('consume.killSwitch.window', 2.5)],
      ['consume.killSwitch.cooldownMs 0', 'consume.killSwitch.cooldownMs', given('consume.killSwitch.cooldownMs', 0)],
      ['consume.handlerTimeoutMs 0', 'consume.handlerTimeoutMs', given('consume.handlerTimeoutMs', 0)],
      ['consume.handlerTimeoutMs 1.5', 'consume.handlerTimeoutMs', given('consume.handlerTimeoutMs', 1.5)],
      ['consume.deliveryLimit 0', 'consume.deliveryLimit', given('consume.deliveryLimit', 0)],
      ['consume.deliveryLimit -1', 'consume.deliveryLimit', given('consume.deliveryLimit', -1)],
    ])('rejects %s with an error naming %s', (_case, option, overrides) => {
      const error = rejectionOf(overrides);
      expect(error.message.startsWith(`${option} `)).toBe(true);
    });

    it.each([
      ['attempts -1', { attempts: -1, delaysMs: [1_000] }, 'consume.retry.attempts '],
      ['attempts 101', { attempts: 101, delaysMs: [1_000] }, 'consume.retry.attempts '],
      ['attempts without delays', { attempts: 3, delaysMs: [] }, 'consume.retry.delaysMs '],
      ['a zero delay', { attempts: 3, delaysMs: [1_000, 0] }, 'consume.retry.delaysMs '],
    ])('rejects a retry policy with %s, naming retry.', (_case, retry, prefix) => {
      const error = rejectionOf({ consume: { retry: retry } });
      expect(error.message.startsWith(prefix)).toBe(true);
    });

    it('accepts the kill switch bounds: ratio 1, window 1 and 10000', () => {
      expect(resolveRabbitMQOptions({ ...REQUIRED, consume: { killSwitch: { failureRatio: 1 } } }).consume.killSwitch.failureRatio).toBe(1);
      expect(resolveRabbitMQOptions({ ...REQUIRED, consume: { killSwitch: { window: 1 } } }).consume.killSwitch.window).toBe(1);
      expect(resolveRabbitMQOptions({ ...REQUIRED, consume: { killSwitch: { window: 10_000 } } }).consume.killSwitch.window).toBe(10_000);
    });
  });
});

describe('resolveRabbitMQOptions: values Node timers cannot hold, and wrong types', () => {
  const REQUIRED_OPTIONS: RabbitMQModuleOptions = { urls: ['amqp://localhost'], serviceName: 'svc' };

  it.each(['consume.handlerTimeoutMs', 'publish.timeoutMs', 'consume.shutdownGraceMs', 'publish.failFastMs', 'publish.confirmStallMs'])(
    'rejects %s above 2^31-1 ms, which setTimeout would fire after 1 ms',
    (option) => {
      expect(() => resolveRabbitMQOptions({ ...REQUIRED_OPTIONS, ...given(option, 3_000_000_000) })).toThrow(
        new RegExp(`^${option.replaceAll('.', '\\.')} must be an integer`),
      );
    },
  );

  it('rejects a kill switch cool-down above 2^31-1 ms', () => {
    expect(() => resolveRabbitMQOptions({ ...REQUIRED_OPTIONS, consume: { killSwitch: { cooldownMs: 3_000_000_000 } } })).toThrow(
      /^consume\.killSwitch\.cooldownMs/,
    );
  });

  it('rejects retry: null with an error naming retry', () => {
    expect(() => resolveRabbitMQOptions({ ...REQUIRED_OPTIONS, consume: { retry: null as never } })).toThrow(InvalidRabbitMQOptionsError);
    expect(() => resolveRabbitMQOptions({ ...REQUIRED_OPTIONS, consume: { retry: null as never } })).toThrow(/^consume\.retry must be an object/);
  });

  it('rejects a killSwitch.enabled that is not a boolean', () => {
    expect(() => resolveRabbitMQOptions({ ...REQUIRED_OPTIONS, consume: { killSwitch: { enabled: 'no' as never } } })).toThrow(
      /^consume\.killSwitch\.enabled/,
    );
  });
});

describe('resolveRabbitMQOptions: the outbox group', () => {
  const DATABASE = 'postgres://postgres@127.0.0.1:5432/warren';

  it('stays off unless given, and takes RABBITMQ_DEFAULTS.outbox under what is given', () => {
    expect(resolveRabbitMQOptions(REQUIRED).outbox).toBeUndefined();
    expect(resolveRabbitMQOptions({ ...REQUIRED, outbox: { database: DATABASE, batchSize: 5 } }).outbox).toEqual({
      ...RABBITMQ_DEFAULTS.outbox,
      database: DATABASE,
      batchSize: 5,
    });
  });

  it.each([
    ['a database that is no postgres:// URL', 'outbox.database', { database: 'mysql://x' }],
    ['outbox.batchSize 0', 'outbox.batchSize', { database: DATABASE, batchSize: 0 }],
    ['outbox.pollMs above 500', 'outbox.pollMs', { database: DATABASE, pollMs: 501 }],
    ['outbox.retryMaxMs below the base', 'outbox.retryMaxMs', { database: DATABASE, retryBaseMs: 2_000, retryMaxMs: 1_000 }],
    ['outbox.relay that is not a boolean', 'outbox.relay', { database: DATABASE, relay: 'no' as never }],
  ])('rejects %s, naming %s', (_case, path, outbox) => {
    const error = rejectionOf({ outbox });
    expect(error.problems.map((problem) => problem.path)).toEqual([path]);
    expect(error.message.startsWith(`${path} `)).toBe(true);
  });
});
