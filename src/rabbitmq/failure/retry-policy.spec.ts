import { describe, expect, it } from '@jest/globals';
import { InvalidRabbitMQOptionsError } from '../errors/invalid-options.error.js';
import { MAX_RETRY_DELAY_MS, type RetryPolicy, retryDelay, validateRetryPolicy } from './retry-policy.js';
import { RABBITMQ_DEFAULTS } from '../options/rabbitmq-defaults.js';

function rejectionOf(policy: RetryPolicy, where = '@Retry'): InvalidRabbitMQOptionsError {
  try {
    validateRetryPolicy(policy, where);
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidRabbitMQOptionsError);
    return error as InvalidRabbitMQOptionsError;
  }
  throw new Error(`expected policy ${JSON.stringify(policy)} to be rejected`);
}

describe('retryDelay', () => {
  const policy: RetryPolicy = { attempts: 5, delaysMs: [100, 200, 300] };

  it('takes delaysMs[n-1] for retry n', () => {
    expect(retryDelay(policy, 1)).toBe(100);
    expect(retryDelay(policy, 2)).toBe(200);
    expect(retryDelay(policy, 3)).toBe(300);
  });

  it('repeats the last delay for retries beyond the list', () => {
    expect(retryDelay(policy, 4)).toBe(300);
    expect(retryDelay(policy, 5)).toBe(300);
    expect(retryDelay(policy, 50)).toBe(300);
  });

  it('uses the single delay for every retry when only one is listed', () => {
    const single: RetryPolicy = { attempts: 3, delaysMs: [7_000] };
    expect([1, 2, 3].map((n) => retryDelay(single, n))).toEqual([7_000, 7_000, 7_000]);
  });
});

describe('validateRetryPolicy', () => {
  it.each([
    ['attempts -1', { attempts: -1, delaysMs: [1_000] }],
    ['attempts 1.5', { attempts: 1.5, delaysMs: [1_000] }],
    ['attempts 101', { attempts: 101, delaysMs: [1_000] }],
    ['attempts NaN', { attempts: Number.NaN, delaysMs: [1_000] }],
  ])('rejects %s, naming <where>.attempts', (_case, policy) => {
    const error = rejectionOf(policy, '@Retry');
    expect(error.message).toMatch(/^@Retry\.attempts /);
    expect(error.message).toContain(String(policy.attempts));
  });

  it('rejects attempts > 0 with no delays, naming <where>.delaysMs', () => {
    expect(rejectionOf({ attempts: 1, delaysMs: [] }, 'retry').message).toMatch(/^retry\.delaysMs /);
    expect(rejectionOf({ attempts: 1 } as RetryPolicy, 'retry').message).toMatch(/^retry\.delaysMs /);
  });

  it.each([
    ['delay 0', [0]],
    ['a negative delay', [1_000, -5]],
    ['a delay over MAX_RETRY_DELAY_MS', [MAX_RETRY_DELAY_MS + 1]],
    ['a non-integer delay', [1_000, 1.5]],
    ['a NaN delay', [Number.NaN]],
    ['a string delay', ['1000' as unknown as number]],
  ])('rejects %s, naming <where>.delaysMs', (_case, delaysMs) => {
    const error = rejectionOf({ attempts: 2, delaysMs }, '@Retry');
    expect(error.message).toMatch(/^@Retry\.delaysMs /);
  });

  it('rejects a bad delay even when attempts is 0', () => {
    expect(rejectionOf({ attempts: 0, delaysMs: [0] }).message).toMatch(/^@Retry\.delaysMs /);
  });

  it('says which delay was wrong and the bound', () => {
    const error = rejectionOf({ attempts: 1, delaysMs: [MAX_RETRY_DELAY_MS + 1] });
    expect(error.message).toContain(String(MAX_RETRY_DELAY_MS + 1));
    expect(error.message).toContain(String(MAX_RETRY_DELAY_MS));
  });

  it('accepts the bounds: attempts 0 with no delays, attempts 100, delays 1 and MAX_RETRY_DELAY_MS', () => {
    const none: RetryPolicy = { attempts: 0, delaysMs: [] };
    expect(validateRetryPolicy(none, 'retry')).toBe(none);
    const edges: RetryPolicy = { attempts: 100, delaysMs: [1, MAX_RETRY_DELAY_MS] };
    expect(validateRetryPolicy(edges, 'retry')).toBe(edges);
  });

  it('accepts more delays than attempts and fewer delays than attempts', () => {
    expect(() => validateRetryPolicy({ attempts: 1, delaysMs: [1_000, 2_000, 3_000] }, 'retry')).not.toThrow();
    expect(() => validateRetryPolicy({ attempts: 10, delaysMs: [1_000] }, 'retry')).not.toThrow();
  });

  it('caps delays at one day', () => {
    expect(MAX_RETRY_DELAY_MS).toBe(86_400_000);
  });
});

describe('RABBITMQ_DEFAULTS.retry', () => {
  it('is 5 retries at 1 s, 5 s, 30 s, 2 min and 10 min', () => {
    expect(RABBITMQ_DEFAULTS.consume.retry).toEqual({ attempts: 5, delaysMs: [1_000, 5_000, 30_000, 120_000, 600_000] });
  });

  it('is valid', () => {
    expect(validateRetryPolicy(RABBITMQ_DEFAULTS.consume.retry, 'retry')).toBe(RABBITMQ_DEFAULTS.consume.retry);
  });

  it('gives every retry its own listed delay', () => {
    expect([1, 2, 3, 4, 5].map((n) => retryDelay(RABBITMQ_DEFAULTS.consume.retry, n))).toEqual(RABBITMQ_DEFAULTS.consume.retry.delaysMs);
  });
});
