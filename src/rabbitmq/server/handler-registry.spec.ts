import { describe, expect, it } from '@jest/globals';
import type { INestApplicationContext } from '@nestjs/common';
import { ModulesContainer } from '@nestjs/core';
import type { MessageHandler } from '@nestjs/microservices';
import { EventPattern } from '@nestjs/microservices';
import { PATTERN_EXTRAS_METADATA } from '@nestjs/microservices/constants.js';
import { HandleEvent, type HandlerExtras } from '../decorators/handle-event.decorator.js';
import { HandlerRegistrationError } from '../errors/handler-registration.error.js';
import { MAX_PREFETCH } from '../options/option-bounds.js';
import { RABBITMQ_DEFAULTS } from '../options/rabbitmq-defaults.js';
import { Retry } from '../failure/retry.decorator.js';
import { HandlerRegistry } from './handler-registry.js';

/** A Nest message handler is a function with a few optional fields; a real one, not a mock. */
function handler(): MessageHandler {
  return () => Promise.resolve(undefined);
}

function registrationErrorOf(action: () => unknown): HandlerRegistrationError {
  try {
    action();
  } catch (error) {
    expect(error).toBeInstanceOf(HandlerRegistrationError);
    return error as HandlerRegistrationError;
  }
  throw new Error('expected a HandlerRegistrationError');
}

describe('HandlerRegistry', () => {
  it('names the queue <service>.<handler> by default', () => {
    const registry = new HandlerRegistry('shop', 50, 30_000, RABBITMQ_DEFAULTS.consume.retry);
    const callback = handler();
    const definition = registry.register('order.created', callback, { handler: 'notifications.order-created' });
    expect(definition).toEqual({
      queue: 'shop.notifications.order-created',
      pattern: 'order.created',
      handlerName: 'notifications.order-created',
      prefetch: 50,
      timeoutMs: 30_000,
      retryPolicy: RABBITMQ_DEFAULTS.consume.retry,
      ordered: false,
      concurrency: 50,
      queueType: 'quorum',
      queueArguments: {},
      callback,
      direct: undefined,
      pipelineReason: expect.stringMatching(/not bound by @HandleEvent/),
      kind: 'event',
    });
  });

  it('gives an ordered handler prefetch 1, concurrency 1 and a single-active-consumer queue', () => {
    const definition = new HandlerRegistry('shop', 50, 30_000, RABBITMQ_DEFAULTS.consume.retry).register('order.created', handler(), {
      handler: 'ledger.order',
      ordered: true,
    });
    expect(definition).toMatchObject({ ordered: true, prefetch: 1, concurrency: 1, queueArguments: { 'x-single-active-consumer': true } });
  });

  it('refuses an ordered handler with a prefetch or concurrency above 1', () => {
    const registry = new HandlerRegistry('shop', 50, 30_000, RABBITMQ_DEFAULTS.consume.retry);
    expect(registrationErrorOf(() => registry.register('a', handler(), { handler: 'x.a', ordered: true, prefetch: 10 })).message).toMatch(
      /ordered handler 'x\.a' takes one message at a time: remove its prefetch/,
    );
    expect(registrationErrorOf(() => registry.register('b', handler(), { handler: 'x.b', ordered: true, concurrency: 2 })).message).toMatch(
      /concurrency of handler 'x\.b' must be an integer from 1 to its prefetch \(1\), got 2: an ordered handler runs one message at a time/,
    );
  });

  it('keeps concurrency separate from prefetch, and no larger', () => {
    const registry = new HandlerRegistry('shop', 50, 30_000, RABBITMQ_DEFAULTS.consume.retry);
    expect(registry.register('a', handler(), { handler: 'x.a', concurrency: 5 })).toMatchObject({ prefetch: 50, concurrency: 5 });
    expect(registrationErrorOf(() => registry.register('b', handler(), { handler: 'x.b', prefetch: 4, concurrency: 5 })).message).toMatch(
      /concurrency of handler 'x\.b' must be an integer from 1 to its prefetch \(4\), got 5: raise prefetch or lower concurrency/,
    );
  });

  it('takes a per-handler queue type over the module default', () => {
    const registry = new HandlerRegistry('shop', 50, 30_000, RABBITMQ_DEFAULTS.consume.retry, 'quorum');
    expect(registry.register('a', handler(), { handler: 'x.a', queueType: 'classic', queueArguments: { maxPriority: 5 } })).toMatchObject({
      queueType: 'classic',
      queueArguments: { 'x-max-priority': 5 },
    });
  });

  it('puts a request handler on <exchange>.rpc.<pattern>, whatever its handler name, and refuses wildcards', () => {
    const registry = new HandlerRegistry('shop', 50, 30_000, RABBITMQ_DEFAULTS.consume.retry);
    const definition = registry.register('inventory.stock', handler(), { handler: 'inventory.stock-level' }, 'request');
    expect(definition).toMatchObject({ queue: 'warren.events.rpc.inventory.stock', kind: 'request', handlerName: 'inventory.stock-level' });
    expect(() => registry.register('inventory.*', handler(), {}, 'request')).toThrow(/wildcard/);
  });

  it('refuses a pattern the broker could not bind (over 255 bytes)', () => {
    const registry = new HandlerRegistry('shop', 50, 30_000, RABBITMQ_DEFAULTS.consume.retry);
    expect(() => registry.register(`order.${'x'.repeat(250)}`, handler(), { queue: 'q' })).toThrow(/longer than 255 bytes/);
    expect(registry.register(`order.${'x'.repeat(249)}`, handler(), { queue: 'q' }).pattern).toHaveLength(255);
  });

  it('names the queue <service>.<pattern> when no handler name is given', () => {
    const registry = new HandlerRegistry('shop', 50, 30_000, RABBITMQ_DEFAULTS.consume.retry);
    const definition = registry.register('order.created', handler());
    expect(definition.queue).toBe('shop.order.created');
    expect(definition.handlerName).toBe('order.created');
  });

  it('uses an explicit queue name as is', () => {
    const registry = new HandlerRegistry('shop', 50, 30_000, RABBITMQ_DEFAULTS.consume.retry);
    const definition = registry.register('order.*', handler(), { handler: 'audit.record', queue: 'legacy-audit' });
    expect(definition.queue).toBe('legacy-audit');
    expect(definition.handlerName).toBe('audit.record');
    expect(definition.pattern).toBe('order.*');
  });

  it('gives two handlers of one pattern two queues', () => {
    const registry = new HandlerRegistry('shop', 50, 30_000, RABBITMQ_DEFAULTS.consume.retry);
    registry.register('order.created', handler(), { handler: 'notifications.order-created' });
    registry.register('order.created', handler(), { handler: 'inventory.order-created' });
    expect(registry.all().map((d) => d.queue)).toEqual(['shop.notifications.order-created', 'shop.inventory.order-created']);
  });

  it('refuses two handlers that would share a queue, naming both', () => {
    const registry = new HandlerRegistry('shop', 50, 30_000, RABBITMQ_DEFAULTS.consume.retry);
    registry.register('order.created', handler(), { handler: 'notifications.order-created', queue: 'shared' });
    const error = registrationErrorOf(() => registry.register('user.registered', handler(), { handler: 'welcome.user-registered', queue: 'shared' }));
    expect(error.name).toBe('HandlerRegistrationError');
    expect(error.message).toContain("'notifications.order-created'");
    expect(error.message).toContain("'welcome.user-registered'");
    expect(error.message).toContain("'shared'");
    expect(registry.all()).toHaveLength(1);
    expect(registry.all()[0].handlerName).toBe('notifications.order-created');
  });

  it('refuses the same pattern registered twice without handler names', () => {
    const registry = new HandlerRegistry('shop', 50, 30_000, RABBITMQ_DEFAULTS.consume.retry);
    registry.register('order.created', handler());
    const error = registrationErrorOf(() => registry.register('order.created', handler()));
    expect(error.message).toContain("'shop.order.created'");
  });

  it('refuses a default queue that collides with an explicit one', () => {
    const registry = new HandlerRegistry('shop', 50, 30_000, RABBITMQ_DEFAULTS.consume.retry);
    registry.register('a', handler(), { handler: 'first', queue: 'shop.second' });
    const error = registrationErrorOf(() => registry.register('b', handler(), { handler: 'second' }));
    expect(error.message).toContain("'first'");
    expect(error.message).toContain("'second'");
  });

  it('lets a handler override the default prefetch', () => {
    const registry = new HandlerRegistry('shop', 50, 30_000, RABBITMQ_DEFAULTS.consume.retry);
    expect(registry.register('a', handler(), { handler: 'h1', prefetch: 5 }).prefetch).toBe(5);
    expect(registry.register('b', handler(), { handler: 'h2' }).prefetch).toBe(50);
    expect(registry.register('c', handler(), { handler: 'h3', prefetch: MAX_PREFETCH }).prefetch).toBe(MAX_PREFETCH);
  });

  it.each([0, -1, 1.5, MAX_PREFETCH + 1, Number.NaN])('refuses prefetch %p, naming the handler', (prefetch) => {
    const registry = new HandlerRegistry('shop', 50, 30_000, RABBITMQ_DEFAULTS.consume.retry);
    const error = registrationErrorOf(() => registry.register('a', handler(), { handler: 'slow.thing', prefetch }));
    expect(error.message).toContain('prefetch');
    expect(error.message).toContain("'slow.thing'");
    expect(registry.all()).toHaveLength(0);
  });

  it('refuses an invalid default prefetch at registration', () => {
    const registry = new HandlerRegistry('shop', 0, 30_000, RABBITMQ_DEFAULTS.consume.retry);
    expect(() => registry.register('a', handler())).toThrow(HandlerRegistrationError);
  });

  it('refuses an empty or non-string pattern', () => {
    const registry = new HandlerRegistry('shop', 50, 30_000, RABBITMQ_DEFAULTS.consume.retry);
    expect(() => registry.register('', handler())).toThrow(HandlerRegistrationError);
    expect(() => registry.register({ cmd: 'sum' } as unknown as string, handler())).toThrow(HandlerRegistrationError);
  });

  it('lists registered handlers in registration order', () => {
    const registry = new HandlerRegistry('shop', 50, 30_000, RABBITMQ_DEFAULTS.consume.retry);
    expect(registry.all()).toEqual([]);
    registry.register('b', handler(), { handler: 'second' });
    registry.register('a', handler(), { handler: 'first' });
    expect(registry.all().map((d) => d.handlerName)).toEqual(['second', 'first']);
  });

  describe('retry policy, resolved once at registration', () => {
    class Handlers {
      @Retry({ attempts: 2, delaysMs: [500] })
      @HandleEvent('order.created')
      retryBelow(): void {}

      @HandleEvent('order.shipped')
      @Retry({ attempts: 0, delaysMs: [] })
      retryAbove(): void {}

      @HandleEvent('order.cancelled')
      noRetry(): void {}

      @EventPattern('order.paid')
      plain(data: unknown): unknown {
        return data;
      }

      @HandleEvent('order.refunded', { retry: { attempts: 1, delaysMs: [250] } })
      retryOption(): void {}

      @Retry({ attempts: 2, delaysMs: [500] })
      @HandleEvent('order.disputed', { retry: { attempts: 1, delaysMs: [250] } })
      retryTwice(): void {}
    }
    /** The extras Nest hands `addHandler`: what the decorator stored on the method. */
    const extrasOf = (name: keyof Handlers) =>
      Reflect.getMetadata(PATTERN_EXTRAS_METADATA, Object.getOwnPropertyDescriptor(Handlers.prototype, name)?.value as object) as HandlerExtras;
    const register = (pattern: string, name: keyof Handlers) =>
      new HandlerRegistry('shop', 50, 30_000, RABBITMQ_DEFAULTS.consume.retry).register(pattern, handler(), extrasOf(name));

    it('takes @Retry whichever side of @HandleEvent it is written', () => {
      expect(register('order.created', 'retryBelow').retryPolicy).toEqual({ attempts: 2, delaysMs: [500] });
      expect(register('order.shipped', 'retryAbove').retryPolicy).toEqual({ attempts: 0, delaysMs: [] });
    });

    it("takes @HandleEvent's retry option like @Retry, and refuses a handler that has both", () => {
      expect(register('order.refunded', 'retryOption').retryPolicy).toEqual({ attempts: 1, delaysMs: [250] });
      expect(() => register('order.disputed', 'retryTwice')).toThrow(
        new HandlerRegistrationError("handler 'handler.retry-twice' has both @Retry and @HandleEvent's retry option: keep one of them"),
      );
    });

    it("refuses an unusable retry option when the class is loaded, naming the handler's pattern", () => {
      expect(() => HandleEvent('order.lost', { retry: { attempts: 3, delaysMs: [] } })).toThrow(
        "@HandleEvent('order.lost') retry.delaysMs must list at least one delay when attempts > 0",
      );
    });

    it("uses the module's policy without @Retry, and for a plain @EventPattern", () => {
      expect(register('order.cancelled', 'noRetry').retryPolicy).toBe(RABBITMQ_DEFAULTS.consume.retry);
      expect(register('order.paid', 'plain').retryPolicy).toBe(RABBITMQ_DEFAULTS.consume.retry);
    });

    it('knows the app only while bindHandlers runs: a handler registered after it, or after a failed bind, gets Nest pipeline', async () => {
      // An app with no module: bound inside, the handler is refused for want of its controller, not for unknown globals.
      const app = { get: () => new ModulesContainer() } as unknown as INestApplicationContext;
      const registry = new HandlerRegistry('shop', 50, 30_000, RABBITMQ_DEFAULTS.consume.retry);
      const inside = registry.bindHandlers(app, () => registry.register('order.created', handler(), extrasOf('retryBelow')));
      expect(inside.pipelineReason).toBe('no controller of the app has it');
      expect(registry.register('order.shipped', handler(), extrasOf('retryAbove')).pipelineReason).toMatch(/not bound through connectRabbitServer/);
      await expect(registry.bindHandlers(app, () => Promise.reject(new Error('init failed')))).rejects.toThrow('init failed');
      expect(registry.register('order.cancelled', handler(), extrasOf('noRetry')).pipelineReason).toMatch(/not bound through connectRabbitServer/);
    });
  });
});
