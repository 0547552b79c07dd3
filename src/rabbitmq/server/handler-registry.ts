import type { MessageHandler } from '@nestjs/microservices';
import { HandlerRegistrationError } from '../errors/handler-registration.error.js';
import { DEFAULT_EVENTS_EXCHANGE, MAX_TIMER_MS } from '../rabbitmq.constants.js';
import { moduleOption } from '../options/module-option-table.js';
import type { RetryPolicy } from '../failure/retry-policy.js';
import { RETRY_POLICY_METADATA } from '../failure/retry.decorator.js';
import { handlerQueueName, requestQueueName } from '../topology/topology-names.js';
import type { HandlerExtras } from '../decorators/handle-event.decorator.js';

/** One consumer: a handler, the queue it owns and the pattern that queue is bound by. */
export interface HandlerDefinition {
  queue: string;
  pattern: string;
  handlerName: string;
  prefetch: number;
  timeoutMs: number;
  /** `@Retry` on the method, else the module's `retry`: read once here, never per delivery. */
  retryPolicy: RetryPolicy;
  callback: MessageHandler;
  /** `event` (`@OnEvent` / `@EventPattern`) or `request` (`@HandleRequest` / `@MessagePattern`: its result is replied). */
  kind: HandlerKind;
}

export type HandlerKind = 'event' | 'request';

/**
 * Maps each handler to its own queue. Nest would chain handlers of one pattern into a single
 * delivery; here two handlers of `order.created` get two queues, so one failing or retrying
 * never re-delivers the event to the other. Two handlers that would share a queue are refused
 * at start-up instead of silently splitting each other's messages.
 */
export class HandlerRegistry {
  private readonly byQueue = new Map<string, HandlerDefinition>();

  constructor(
    private readonly serviceName: string,
    private readonly defaultPrefetch: number,
    private readonly defaultTimeoutMs: number,
    private readonly defaultRetryPolicy: RetryPolicy,
    /** Request queues are named after it (see requestQueueName). */
    private readonly exchange: string = DEFAULT_EVENTS_EXCHANGE,
  ) {}

  register(pattern: string, callback: MessageHandler, extras: HandlerExtras = {}, kind: HandlerKind = 'event'): HandlerDefinition {
    if (!pattern || typeof pattern !== 'string') {
      throw new HandlerRegistrationError(`${kind} pattern must be a non-empty string, got ${JSON.stringify(pattern)}`);
    }
    if (kind === 'request' && /[*#]/.test(pattern)) {
      // A request goes to one queue by name: a wildcard could not say which handler answers.
      throw new HandlerRegistrationError(`request pattern '${pattern}' has a wildcard: @MessagePattern takes an exact pattern`);
    }
    const handlerName = extras.handler ?? pattern;
    const queue = extras.queue ?? (kind === 'request' ? requestQueueName(this.exchange, pattern) : handlerQueueName(this.serviceName, handlerName));
    const prefetch = extras.prefetch ?? this.defaultPrefetch;
    // The same bound as the module-level prefetch (module-option-table.ts), not a copy of it.
    const { min, max } = moduleOption('prefetch');
    if (!Number.isInteger(prefetch) || prefetch < min || prefetch > max!) {
      throw new HandlerRegistrationError(`prefetch of handler '${handlerName}' must be an integer from ${min} to ${max}, got ${String(prefetch)}`);
    }
    const timeoutMs = extras.timeoutMs ?? this.defaultTimeoutMs;
    if (!Number.isInteger(timeoutMs) || timeoutMs < 1 || timeoutMs > MAX_TIMER_MS) {
      throw new HandlerRegistrationError(
        `timeoutMs of handler '${handlerName}' must be an integer from 1 to ${MAX_TIMER_MS}, got ${String(timeoutMs)}`,
      );
    }
    const existing = this.byQueue.get(queue);
    if (existing) {
      throw new HandlerRegistrationError(
        `handlers '${existing.handlerName}' (${existing.pattern}) and '${handlerName}' (${pattern}) would share queue '${queue}'; ` +
          'give one of them its own queue with @HandleEvent(pattern, { queue })',
      );
    }
    const retryPolicy = retryPolicyOf(extras.method) ?? this.defaultRetryPolicy;
    const definition: HandlerDefinition = { queue, pattern, handlerName, prefetch, timeoutMs, retryPolicy, callback, kind };
    this.byQueue.set(queue, definition);
    return definition;
  }

  all(): HandlerDefinition[] {
    return [...this.byQueue.values()];
  }
}

/** `@Retry` metadata of a handler method (validated when the class was declared). */
function retryPolicyOf(method: object | undefined): RetryPolicy | undefined {
  return method ? (Reflect.getMetadata(RETRY_POLICY_METADATA, method) as RetryPolicy | undefined) : undefined;
}
