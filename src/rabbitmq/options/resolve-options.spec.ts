import { describe, expect, it } from '@jest/globals';
import { InvalidRabbitMQOptionsError } from '../errors/invalid-options.error.js';
import {
  DEFAULT_EVENTS_EXCHANGE,
  DEFAULT_HEARTBEAT_SECONDS,
  DEFAULT_MAX_MESSAGE_BYTES,
  DEFAULT_PREFETCH,
  DEFAULT_PUBLISH_TIMEOUT_MS,
  DEFAULT_QUEUE_TYPE,
  DEFAULT_RECONNECT_SECONDS,
  DEFAULT_SHUTDOWN_GRACE_MS,
  MAX_PREFETCH,
} from '../rabbitmq.constants.js';
import type { RabbitMQModuleOptions } from './rabbitmq-options.interface.js';
import { resolveRabbitMQOptions } from './resolve-options.js';

const REQUIRED: RabbitMQModuleOptions = { urls: ['amqp://guest:guest@127.0.0.1:5672'], serviceName: 'orders' };

/** Runs resolve and returns the error it threw, failing the test if it did not throw. */
function rejectionOf(overrides: Partial<RabbitMQModuleOptions>): InvalidRabbitMQOptionsError {
  try {
    resolveRabbitMQOptions({ ...REQUIRED, ...overrides } as RabbitMQModuleOptions);
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidRabbitMQOptionsError);
    return error as InvalidRabbitMQOptionsError;
  }
  throw new Error(`expected options ${JSON.stringify(overrides)} to be rejected`);
}

describe('resolveRabbitMQOptions', () => {
  it('applies every default from rabbitmq.constants', () => {
    expect(resolveRabbitMQOptions(REQUIRED)).toEqual({
      urls: REQUIRED.urls,
      serviceName: 'orders',
      exchange: DEFAULT_EVENTS_EXCHANGE,
      prefetch: DEFAULT_PREFETCH,
      queueType: DEFAULT_QUEUE_TYPE,
      maxMessageBytes: DEFAULT_MAX_MESSAGE_BYTES,
      publishTimeoutMs: DEFAULT_PUBLISH_TIMEOUT_MS,
      heartbeatSeconds: DEFAULT_HEARTBEAT_SECONDS,
      reconnectSeconds: DEFAULT_RECONNECT_SECONDS,
      shutdownGraceMs: DEFAULT_SHUTDOWN_GRACE_MS,
    });
  });

  it('has the documented default values', () => {
    const resolved = resolveRabbitMQOptions(REQUIRED);
    expect(resolved.prefetch).toBe(50);
    expect(resolved.exchange).toBe('warren.events');
    expect(resolved.queueType).toBe('quorum');
    expect(resolved.maxMessageBytes).toBe(1024 * 1024);
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
      reconnectSeconds: 3,
      shutdownGraceMs: 1,
    });
    expect(resolved).toEqual({
      urls: ['amqps://a.example', 'amqp://b.example'],
      serviceName: 'billing.v2',
      exchange: 'billing.events',
      prefetch: 7,
      queueType: 'classic',
      maxMessageBytes: 2048,
      publishTimeoutMs: 250,
      heartbeatSeconds: 30,
      reconnectSeconds: 3,
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
    expect(resolved.exchange).toBe(DEFAULT_EVENTS_EXCHANGE);
    expect(resolved.prefetch).toBe(DEFAULT_PREFETCH);
    expect(resolved.queueType).toBe(DEFAULT_QUEUE_TYPE);
    expect(resolved.publishTimeoutMs).toBe(DEFAULT_PUBLISH_TIMEOUT_MS);
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
    ['reconnectSeconds 0', 'reconnectSeconds', { reconnectSeconds: 0 }],
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
});
