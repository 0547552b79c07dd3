import { UseFilters, UsePipes } from '@nestjs/common';
import { EventPattern } from '@nestjs/microservices';
import { HANDLER_FAILURE_FILTER, HANDLER_PAYLOAD_PIPE } from './handler-enhancers.js';
import type { QueueType } from '../options/rabbitmq-options.interface.js';
import { type RetryPolicy, validateRetryPolicy } from '../failure/retry-policy.js';
import type { HandlerQueueArguments } from './handler-queue-arguments.js';

/**
 * Marks a method as a warren handler (value: its pattern). Read at start-up to refuse a handler on
 * a class Nest never binds (a provider instead of a controller).
 */
export const HANDLE_EVENT_METADATA = 'warren:handle-event';

/** Per-handler options of `@HandleEvent`. */
export interface HandleEventOptions {
  /** Queue name; defaults to `<service>.<handler>`. Give one to keep a queue across renames. */
  queue?: string;
  /** Unacked deliveries for this handler's queue; defaults to the module's `prefetch`. */
  prefetch?: number;
  /** Longest this handler may run, in ms; defaults to the module's `consume.handlerTimeoutMs`. */
  timeoutMs?: number;
  /**
   * Ordered processing. `true`: the queue gets `x-single-active-consumer` (one consumer of all
   * replicas receives, the others stand by), the handler takes one message at a time (prefetch 1),
   * and a failure is retried in place — the message keeps its slot through the `@Retry` backoff,
   * then is parked — so nothing behind it overtakes it. One message at a time across all replicas.
   *
   * `{ by: (event) => key }`: the same, per key. Events of one key are handled one at a time in
   * publish order; events of different keys run in parallel, on `partitions` partition queues
   * spread over the replicas; a failing event holds only its own partition. See OrderedByKey.
   * @default false
   */
  ordered?: boolean | OrderedByKey;
  /**
   * Most deliveries of this handler running at once, separate from `prefetch` (e.g. prefetch 50,
   * concurrency 5: 50 delivered and counted against the byte budget, 5 running). At most prefetch.
   * @default the handler's prefetch
   */
  concurrency?: number;
  /** Length bound with overflow, message TTL, max priority of this handler's queue (see HandlerQueueArguments). */
  queueArguments?: HandlerQueueArguments;
  /** Queue type of this handler's queue, its retry queues and DLQ; `maxPriority` needs 'classic'. @default the module's `queueType` */
  queueType?: QueueType;
  /**
   * Retry policy of this handler, as `@Retry(policy)` gives it (one or the other: both on one
   * method stop start-up). Validated when the class is loaded. @default the module's `retry`
   */
  retry?: RetryPolicy;
}

/**
 * `@HandleEvent(pattern, { ordered: { by: (event) => event.orderId } })`: ordering per key. The
 * handler's queue stays as it is (any producer publishes as before); a router forwards each event,
 * in queue order, to partition `hash(key) mod partitions` (`<queue>.p<i>`), and each partition is
 * consumed as an ordered handler's queue (single active consumer, one at a time, in-place retry).
 */
export interface OrderedByKey {
  /**
   * The event's ordering key (a non-empty string or a finite number), from the decoded payload as
   * it was published (before validation). An event it throws for or returns no key for is parked.
   */
  by: (event: any) => unknown;
  /**
   * Partition queues: the most events of this handler running at once across all replicas.
   * Changing it moves keys to other partitions: see "Ordered by key" in docs/handlers.md.
   * @default 8 (DEFAULT_PARTITIONS), at most 64
   */
  partitions?: number;
}

/**
 * The one handler-options type: what `@HandleEvent` (or `@EventPattern(pattern, extras)`) hands
 * the transport. HandlerRegistry resolves it once, at registration, into a HandlerDefinition.
 */
export interface HandlerExtras extends HandleEventOptions {
  /** Handler name used for the default queue name and the `x-handler` header. */
  handler?: string;
  /**
   * The decorated method itself. Nest's callback does not carry it, and `@Retry` may be applied
   * after `@HandleEvent` (decorators run bottom-up), so its metadata is read from here at registration.
   */
  method?: object;
}

/**
 * Subscribes a method to an event pattern (topic wildcards `*` and `#` allowed). Each handler
 * gets its own durable queue, named after its class and method (`NotificationsHandler.
 * onOrderCreated` → `<service>.notifications.order-created`), so two handlers of the same event
 * each see every event and fail or retry independently. Failures are retried per the `retry`
 * option (or `@Retry`), else the module's `retry` option. The payload is read tolerantly by EventPayloadPipe: fields its DTO
 * does not declare are stripped, a wrong shape is parked at once as a ValidationError. (A global
 * pipe of the app runs before it: attach the transport with connectRabbitServer (`inheritAppConfig: false`) so HTTP's
 * strict pipe does not reject events.)
 */
export function HandleEvent(pattern: string, options: HandleEventOptions = {}): MethodDecorator {
  if (options.retry) validateRetryPolicy(options.retry, `@HandleEvent('${pattern}') retry`);
  return bindHandler(pattern, options, EventPattern as (pattern: string, extras: HandlerExtras) => MethodDecorator);
}

/**
 * What @HandleEvent and @HandleRequest both do: Nest's pattern decorator with warren's extras, the
 * mark the start-up check reads (a handler on a provider, where Nest would never bind it, is
 * refused), the failure filter and the payload pipe.
 */
export function bindHandler(
  pattern: string,
  options: Omit<HandlerExtras, 'handler' | 'method'>,
  nestPattern: (pattern: string, extras: HandlerExtras) => MethodDecorator,
): MethodDecorator {
  return (target, key, descriptor) => {
    const extras: HandlerExtras = {
      ...options,
      handler: defaultHandlerName(target.constructor.name, String(key)),
      method: descriptor.value as object,
    };
    Reflect.defineMetadata(HANDLE_EVENT_METADATA, pattern, descriptor.value as object);
    nestPattern(pattern, extras)(target, key, descriptor);
    // A filter, not an interceptor: it costs nothing until the handler fails (docs/performance.md),
    // and it keeps the original error for a request's reply (Nest's default filter would replace it).
    UseFilters(HANDLER_FAILURE_FILTER)(target, key, descriptor);
    UsePipes(HANDLER_PAYLOAD_PIPE)(target, key, descriptor);
  };
}

/** `NotificationsHandler`, `onOrderCreated` → `notifications.order-created`. */
export function defaultHandlerName(className: string, methodName: string): string {
  const group = kebabCase(className.replace(/(Handlers?|Controller|Consumer|Listener)$/, '')) || 'handler';
  const method = kebabCase(methodName.replace(/^(on|handle)(?=[A-Z])/, ''));
  return `${group}.${method}`;
}

function kebabCase(name: string): string {
  return name
    .replace(/([a-z0-9])([A-Z])/g, '$1-$2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1-$2')
    .replace(/[^A-Za-z0-9.]+/g, '-')
    .toLowerCase();
}
