import { describe, expect, it } from '@jest/globals';
import { InvalidRabbitMQOptionsError } from '../errors/invalid-options.error.js';
import { RETRY_POLICY_METADATA, Retry } from './retry.decorator.js';
import type { RetryPolicy } from './retry-policy.js';

describe('@Retry', () => {
  it('stores the policy as metadata on the decorated method', () => {
    const policy: RetryPolicy = { attempts: 3, delaysMs: [1_000, 10_000] };
    class Handlers {
      @Retry(policy)
      onOrderCreated(): void {}

      onOrderShipped(): void {}
    }
    expect(Reflect.getMetadata(RETRY_POLICY_METADATA, Handlers.prototype.onOrderCreated)).toEqual(policy);
    expect(Reflect.getMetadata(RETRY_POLICY_METADATA, Handlers.prototype.onOrderShipped)).toBeUndefined();
  });

  it('keeps each method its own policy', () => {
    class Handlers {
      @Retry({ attempts: 0, delaysMs: [] })
      never(): void {}

      @Retry({ attempts: 2, delaysMs: [500] })
      twice(): void {}
    }
    expect(Reflect.getMetadata(RETRY_POLICY_METADATA, Handlers.prototype.never)).toEqual({ attempts: 0, delaysMs: [] });
    expect(Reflect.getMetadata(RETRY_POLICY_METADATA, Handlers.prototype.twice)).toEqual({ attempts: 2, delaysMs: [500] });
  });

  it('uses a namespaced metadata key', () => {
    expect(RETRY_POLICY_METADATA).toBe('warren:retry-policy');
  });

  it('throws InvalidRabbitMQOptionsError naming @Retry when the class is declared with a bad policy', () => {
    let thrown: unknown;
    try {
      class Handlers {
        @Retry({ attempts: 3, delaysMs: [] })
        onOrderCreated(): void {}
      }
      void Handlers;
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(InvalidRabbitMQOptionsError);
    expect((thrown as Error).message).toMatch(/^@Retry\.delaysMs /);
  });

  it('throws already when the decorator is built, before it is applied', () => {
    expect(() => Retry({ attempts: -1, delaysMs: [1_000] })).toThrow(InvalidRabbitMQOptionsError);
    expect(() => Retry({ attempts: -1, delaysMs: [1_000] })).toThrow(/^@Retry\.attempts /);
  });
});
