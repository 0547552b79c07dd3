import type { MessageHandler } from '@nestjs/microservices';
import { HandlerRegistrationError } from '../errors/handler-registration.error.js';
import { MAX_PREFETCH, MAX_TIMER_MS } from '../rabbitmq.constants.js';
import { handlerQueueName } from '../topology/topology-names.js';
import type { QueueType } from '../options/rabbitmq-options.interface.js';
import type { HandlerExtras } from './handler-extras.js';
import { handlerQueueArguments } from './handler-queue-arguments.js';

/** One consumer: a handler, the queue it owns and the pattern that queue is bound by. */
export interface HandlerDefinition {
  queue: string;
  pattern: string;
  handlerName: string;
  prefetch: number;
  timeoutMs: number;
  /** Single active consumer, one at a time, retries in place (see `OnEventOptions.ordered`). */
  ordered: boolean;
  /** Most deliveries running the handler at once (≤ prefetch). */
  concurrency: number;
  queueType: QueueType;
  /** The handler's own queue arguments (`x-max-length`, `x-single-active-consumer`…), validated. */
  queueArguments: Record<string, unknown>;
  callback: MessageHandler;
}

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
    private readonly defaultQueueType: QueueType = 'quorum',
  ) {}

  register(pattern: string, callback: MessageHandler, extras: HandlerExtras = {}): HandlerDefinition {
    if (!pattern || typeof pattern !== 'string') {
      throw new HandlerRegistrationError(`event pattern must be a non-empty string, got ${JSON.stringify(pattern)}`);
    }
    const handlerName = extras.handler ?? pattern;
    const queue = extras.queue ?? handlerQueueName(this.serviceName, handlerName);
    const ordered = extras.ordered === true;
    if (ordered && extras.prefetch !== undefined && extras.prefetch !== 1) {
      throw new HandlerRegistrationError(`ordered handler '${handlerName}' takes one message at a time: remove its prefetch (or ordered)`);
    }
    // One unacked delivery: a message handed back (settling failed) is then the next one delivered, never overtaken.
    const prefetch = ordered ? 1 : (extras.prefetch ?? this.defaultPrefetch);
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
    const concurrency = this.concurrencyOf(handlerName, extras, prefetch);
    const queueType = extras.queueType ?? this.defaultQueueType;
    if (queueType !== 'quorum' && queueType !== 'classic') {
      throw new HandlerRegistrationError(`queueType of handler '${handlerName}' must be 'quorum' or 'classic', got '${String(queueType)}'`);
    }
    const queueArguments = handlerQueueArguments(handlerName, queueType, { ordered, queueArguments: extras.queueArguments });
    const existing = this.byQueue.get(queue);
    if (existing) {
      throw new HandlerRegistrationError(
        `handlers '${existing.handlerName}' (${existing.pattern}) and '${handlerName}' (${pattern}) would share queue '${queue}'; ` +
          'give one of them its own queue with @OnEvent(pattern, { queue })',
      );
    }
    const definition: HandlerDefinition = {
      queue,
      pattern,
      handlerName,
      prefetch,
      timeoutMs,
      ordered,
      concurrency,
      queueType,
      queueArguments,
      callback,
    };
    this.byQueue.set(queue, definition);
    return definition;
  }

  private concurrencyOf(handlerName: string, extras: HandlerExtras, prefetch: number): number {
    const { concurrency } = extras;
    if (concurrency === undefined) {
      return prefetch;
    }
    if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > prefetch) {
      throw new HandlerRegistrationError(
        `concurrency of handler '${handlerName}' must be an integer from 1 to its prefetch (${prefetch}), got ${String(concurrency)}` +
          (extras.ordered ? ': an ordered handler runs one message at a time' : ': raise prefetch or lower concurrency'),
      );
    }
    return concurrency;
  }

  all(): HandlerDefinition[] {
    return [...this.byQueue.values()];
  }
}
