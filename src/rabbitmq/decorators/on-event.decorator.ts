import { UseInterceptors, UsePipes } from '@nestjs/common';
import { EventPattern } from '@nestjs/microservices';
import { RetryPolicyInterceptor } from '../retry/retry-policy.interceptor.js';
import { EventPayloadPipe } from '../server/event-payload.pipe.js';
import type { HandlerExtras } from '../server/handler-extras.js';

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
