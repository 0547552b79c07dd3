import type { MessageHandler } from '@nestjs/microservices';
import { HandlerRegistrationError } from '../errors/handler-registration.error.js';
import { DEFAULT_EVENTS_EXCHANGE, MAX_PREFETCH, MAX_TIMER_MS } from '../rabbitmq.constants.js';
import { handlerQueueName, requestQueueName } from '../topology/topology-names.js';
import type { HandlerExtras } from './handler-extras.js';

/** One consumer: a handler, the queue it owns and the pattern that queue is bound by. */
export interface HandlerDefinition {
  queue: string;
  pattern: string;
  handlerName: string;
  prefetch: number;
  timeoutMs: number;
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
    if (!Number.isInteger(prefetch) || prefetch < 1 || prefetch > MAX_PREFETCH) {
      throw new HandlerRegistrationError(
        `prefetch of handler '${handlerName}' must be an integer from 1 to ${MAX_PREFETCH}, got ${String(prefetch)}`,
      );
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
          'give one of them its own queue with @OnEvent(pattern, { queue })',
      );
    }
    const definition: HandlerDefinition = { queue, pattern, handlerName, prefetch, timeoutMs, callback, kind };
    this.byQueue.set(queue, definition);
    return definition;
  }

  all(): HandlerDefinition[] {
    return [...this.byQueue.values()];
  }
}
