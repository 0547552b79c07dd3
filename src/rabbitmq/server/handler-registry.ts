import type { INestApplicationContext } from '@nestjs/common';
import type { MessageHandler } from '@nestjs/microservices';
import { HandlerRegistrationError } from '../errors/handler-registration.error.js';
import { MAX_TIMER_MS } from '../rabbitmq.constants.js';
import { INTEGER_BOUNDS, MAX_PREFETCH } from '../options/option-bounds.js';
import { RABBITMQ_DEFAULTS } from '../options/rabbitmq-defaults.js';
import type { RetryPolicy } from '../failure/retry-policy.js';
import { RETRY_POLICY_METADATA } from '../failure/retry.decorator.js';
import { handlerQueueName, requestQueueName } from '../topology/topology-names.js';
import { fitsRoutingKey, MAX_ROUTING_KEY_BYTES } from '../topology/topic-pattern.js';
import type { HandlerExtras } from '../decorators/handle-event.decorator.js';
import type { QueueType, ResolvedRabbitMQOptions } from '../options/rabbitmq-options.interface.js';
import { handlerQueueArguments } from '../decorators/handler-queue-arguments.js';
import { DirectInvocation } from './direct-invocation.js';
import { DEFAULT_PARTITIONS, MAX_PARTITIONS } from './partition-key.js';
import { HandlerBinding } from './handler-binding.js';

/** One consumer: a handler, the queue it owns and the pattern that queue is bound by. */
export interface HandlerDefinition {
  queue: string;
  pattern: string;
  handlerName: string;
  prefetch: number;
  timeoutMs: number;
  /** `@HandleEvent`'s `retry` or `@Retry` on the method, else the module's `consume.retry`: read once here, never per delivery. */
  retryPolicy: RetryPolicy;
  /** Single active consumer, one at a time, retries in place (see `HandleEventOptions.ordered`); true when ordered by key too. */
  ordered: boolean;
  /**
   * Ordered by key (`ordered: { by }`): `queue` is consumed by the partition router, which forwards
   * each event to partition `partitionOf(by(event), count)`; `prefetch` is the router's window.
   */
  partitioning?: Partitioning;
  /** Set on a partition's own definition (built by partitionDefinitions): the handler queue it belongs to. */
  partitionOf?: { handlerQueue: string; index: number };
  /** Most deliveries running the handler at once (≤ prefetch). */
  concurrency: number;
  queueType: QueueType;
  /** The handler's own queue arguments (`x-max-length`, `x-single-active-consumer`…), validated. */
  queueArguments: Record<string, unknown>;
  callback: MessageHandler;
  /** Calls the method straight when Nest's pipeline would add nothing to warren's own pipe and filter (see DirectInvocation). */
  direct?: DirectInvocation;
  /** Why `callback` (Nest's pipeline) runs instead of `direct`; undefined when `direct` is set. */
  pipelineReason?: string;
  /** `event` (`@OnEvent` / `@EventPattern`) or `request` (`@HandleRequest` / `@MessagePattern`: its result is replied). */
  kind: HandlerKind;
}

export type HandlerKind = 'event' | 'request';

/** How a handler ordered by key splits its events (resolved from `ordered: { by, partitions }`). */
export interface Partitioning {
  by: (event: any) => unknown;
  /** Number of partition queues, `<queue>.p0` … `<queue>.p<count - 1>`. */
  count: number;
}

/**
 * Maps each handler to its own queue. Nest would chain handlers of one pattern into a single
 * delivery; here two handlers of `order.created` get two queues, so one failing or retrying
 * never re-delivers the event to the other. Two handlers that would share a queue are refused
 * at start-up instead of silently splitting each other's messages.
 */
export class HandlerRegistry {
  private readonly byQueue = new Map<string, HandlerDefinition>();
  /** Set while warren itself has Nest bind the handlers (see bindHandlers). */
  private binding?: HandlerBinding;

  /** The registry a transport (RabbitServer, or warren/testing's in-memory one) builds from the module's options. */
  static fromOptions(options: ResolvedRabbitMQOptions): HandlerRegistry {
    return new HandlerRegistry(
      options.serviceName,
      options.consume.prefetch,
      options.consume.handlerTimeoutMs,
      options.consume.retry,
      options.consume.queueType,
      options.exchange,
    );
  }

  constructor(
    private readonly serviceName: string,
    private readonly defaultPrefetch: number,
    private readonly defaultTimeoutMs: number,
    private readonly defaultRetryPolicy: RetryPolicy,
    private readonly defaultQueueType: QueueType = 'quorum',
    /** Request queues are named after it (see requestQueueName). */
    private readonly exchange: string = RABBITMQ_DEFAULTS.exchange,
  ) {}

  /**
   * Runs `bind`, which makes Nest bind this registry's handlers in `app` (connect or initialise the
   * microservice), knowing what HandlerBinding knows of `app`: a handler bound then may be called
   * directly; one bound at any other time always runs through Nest's pipeline.
   */
  bindHandlers<T>(app: INestApplicationContext, bind: () => T): T {
    this.binding = HandlerBinding.of(app);
    let result: T;
    try {
      result = bind();
    } catch (error) {
      this.binding = undefined;
      throw error;
    }
    if (result instanceof Promise) {
      return result.finally(() => (this.binding = undefined)) as T;
    }
    this.binding = undefined;
    return result;
  }

  /**
   * A transport's `addHandler` (RabbitServer's, warren/testing's): marks `callback` as Nest's Server
   * does, then registers it; a @MessagePattern handler (not an event one) answers requests.
   */
  addNestHandler(pattern: string, callback: MessageHandler, isEventHandler: boolean, extras: HandlerExtras): HandlerDefinition {
    callback.isEventHandler = isEventHandler;
    callback.extras = extras;
    return this.register(pattern, callback, extras, isEventHandler ? 'event' : 'request');
  }

  /** Called by addNestHandler, right after Nest built the handler's pipeline. */
  register(pattern: string, callback: MessageHandler, extras: HandlerExtras = {}, kind: HandlerKind = 'event'): HandlerDefinition {
    const { direct, reason: pipelineReason } = DirectInvocation.plan(extras.method, this.binding);
    if (!pattern || typeof pattern !== 'string') {
      throw new HandlerRegistrationError(`${kind} pattern must be a non-empty string, got ${JSON.stringify(pattern)}`);
    }
    if (!fitsRoutingKey(pattern)) {
      throw new HandlerRegistrationError(
        `${kind} pattern '${pattern.slice(0, 64)}…' is longer than ${MAX_ROUTING_KEY_BYTES} bytes: the broker cannot bind it`,
      );
    }
    if (kind === 'request' && /[*#]/.test(pattern)) {
      // A request goes to one queue by name: a wildcard could not say which handler answers.
      throw new HandlerRegistrationError(`request pattern '${pattern}' has a wildcard: @MessagePattern takes an exact pattern`);
    }
    const handlerName = extras.handler ?? pattern;
    const queue = extras.queue ?? (kind === 'request' ? requestQueueName(this.exchange, pattern) : handlerQueueName(this.serviceName, handlerName));
    const partitioning = this.partitioningOf(handlerName, kind, extras);
    const ordered = extras.ordered === true || partitioning !== undefined;
    if (ordered && !partitioning && extras.prefetch !== undefined && extras.prefetch !== 1) {
      throw new HandlerRegistrationError(`ordered handler '${handlerName}' takes one message at a time: remove its prefetch (or ordered)`);
    }
    // One unacked delivery: a message left unsettled (its channel closed) returns to the front, the next one delivered.
    // Ordered by key: the prefetch is the router's window (it forwards in order whatever the window); partitions take 1.
    const prefetch = ordered && !partitioning ? 1 : (extras.prefetch ?? this.defaultPrefetch);
    // The same bound as the module-level prefetch (option-bounds.ts), not a copy of it.
    const { min, max = MAX_PREFETCH } = INTEGER_BOUNDS['consume.prefetch'];
    if (!Number.isInteger(prefetch) || prefetch < min || prefetch > max) {
      throw new HandlerRegistrationError(`prefetch of handler '${handlerName}' must be an integer from ${min} to ${max}, got ${String(prefetch)}`);
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
          'give one of them its own queue with @HandleEvent(pattern, { queue })',
      );
    }
    const retryPolicy = this.retryPolicyOf(handlerName, extras);
    const definition: HandlerDefinition = {
      queue,
      pattern,
      handlerName,
      prefetch,
      timeoutMs,
      retryPolicy,
      ordered,
      ...(partitioning ? { partitioning } : {}),
      concurrency,
      queueType,
      queueArguments,
      callback,
      direct,
      pipelineReason,
      kind,
    };
    this.byQueue.set(queue, definition);
    return definition;
  }

  /** `ordered: { by, partitions }` checked and resolved; undefined for `ordered: true | false`. */
  private partitioningOf(handlerName: string, kind: HandlerKind, extras: HandlerExtras): Partitioning | undefined {
    const { ordered } = extras;
    if (ordered === undefined || typeof ordered === 'boolean') {
      return undefined;
    }
    const fail = (message: string): never => {
      throw new HandlerRegistrationError(`ordered of handler '${handlerName}': ${message}`);
    };
    if (kind === 'request') fail('a request handler cannot be ordered by key (requests are answered, not queued in order)');
    if (typeof ordered !== 'object' || ordered === null || typeof ordered.by !== 'function') {
      fail('give { by: (event) => key } (a function returning the ordering key), or true');
    }
    if (extras.concurrency !== undefined) {
      fail('concurrency is the partitions option here: remove concurrency (each partition runs one event at a time)');
    }
    const count = ordered.partitions ?? DEFAULT_PARTITIONS;
    if (!Number.isInteger(count) || count < 1 || count > MAX_PARTITIONS) {
      fail(`partitions must be an integer from 1 to ${MAX_PARTITIONS}, got ${String(count)}`);
    }
    return { by: ordered.by, count };
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

  /** `@HandleEvent(pattern, { retry })` or `@Retry` (never both: which would win is a guess), else the module's. */
  private retryPolicyOf(handlerName: string, extras: HandlerExtras): RetryPolicy {
    const decorated = extras.method ? (Reflect.getMetadata(RETRY_POLICY_METADATA, extras.method) as RetryPolicy | undefined) : undefined;
    if (decorated && extras.retry) {
      throw new HandlerRegistrationError(`handler '${handlerName}' has both @Retry and @HandleEvent's retry option: keep one of them`);
    }
    return extras.retry ?? decorated ?? this.defaultRetryPolicy;
  }

  all(): HandlerDefinition[] {
    return [...this.byQueue.values()];
  }
}
