import { UseInterceptors, UsePipes } from '@nestjs/common';
import { EventPattern } from '@nestjs/microservices';
import { RetryPolicyInterceptor } from '../retry/retry-policy.interceptor.js';
import { EventPayloadPipe } from '../server/event-payload.pipe.js';
import type { QueueType } from '../options/rabbitmq-options.interface.js';
import type { HandlerExtras } from '../server/handler-extras.js';
import type { HandlerQueueArguments } from '../server/handler-queue-arguments.js';

/** Stateless, so one instance serves every handler. */
const EVENT_PAYLOAD_PIPE = new EventPayloadPipe();

/** Per-handler options of `@OnEvent`. */
export interface OnEventOptions {
  /** Queue name; defaults to `<service>.<handler>`. Give one to keep a queue across renames. */
  queue?: string;
  /** Unacked deliveries for this handler's queue; defaults to the module's `prefetch`. */
  prefetch?: number;
  /** Longest this handler may run, in ms; defaults to the module's `handlerTimeoutMs`. */
  timeoutMs?: number;
  /**
   * Ordered processing: the queue gets `x-single-active-consumer` (one consumer of all replicas
   * receives, the others stand by), the handler takes one message at a time (prefetch 1), and a
   * failure is retried in place — the message keeps its slot through the `@Retry` backoff, then is
   * parked — so nothing behind it overtakes it. The trade-off: one message at a time across all
   * replicas, and a failing message holds up the queue for its whole backoff.
   * @default false
   */
  ordered?: boolean;
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
}

/**
 * Subscribes a method to an event pattern (topic wildcards `*` and `#` allowed). Each handler
 * gets its own durable queue, named after its class and method (`NotificationsHandler.
 * onOrderCreated` → `<service>.notifications.order-created`), so two handlers of the same event
 * each see every event and fail or retry independently. Failures are retried per `@Retry` or
 * the module's `retry` option. The payload is read tolerantly by EventPayloadPipe: fields its DTO
 * does not declare are stripped, a wrong shape is parked at once as a ValidationError. (A global
 * pipe of the app runs before it: connect the transport with `inheritAppConfig: false` so HTTP's
 * strict pipe does not reject events.)
 */
export function OnEvent(pattern: string, options: OnEventOptions = {}): MethodDecorator {
  return (target, key, descriptor) => {
    const extras: HandlerExtras = {
      ...options,
      handler: defaultHandlerName(target.constructor.name, String(key)),
    };
    (EventPattern(pattern, extras) as MethodDecorator)(target, key, descriptor);
    UseInterceptors(RetryPolicyInterceptor)(target, key, descriptor);
    UsePipes(EVENT_PAYLOAD_PIPE)(target, key, descriptor);
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
