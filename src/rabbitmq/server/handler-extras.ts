import type { QueueType } from '../options/rabbitmq-options.interface.js';
import type { HandlerQueueArguments } from './handler-queue-arguments.js';

/** What `@OnEvent` / `@EventPattern(pattern, extras)` may carry for the transport. */
export interface HandlerExtras {
  /** Explicit queue name. */
  queue?: string;
  /** Handler name used for the default queue name and the `x-handler` header. */
  handler?: string;
  prefetch?: number;
  /** Handler timeout in ms; defaults to the module's `handlerTimeoutMs`. */
  timeoutMs?: number;
  /** One message at a time on a single-active-consumer queue; retries in place. */
  ordered?: boolean;
  /** Most deliveries running the handler at once; defaults to its prefetch. */
  concurrency?: number;
  /** Queue arguments safe to pass through (length bound, overflow, TTL, priority). */
  queueArguments?: HandlerQueueArguments;
  /** This handler's queue type; defaults to the module's `queueType`. */
  queueType?: QueueType;
}
