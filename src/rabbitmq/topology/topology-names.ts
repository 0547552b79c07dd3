/** Every broker-side name is derived here, so the convention lives in one place (DESIGN.md). */

/** Dead-letter queue of a handler queue. */
export function deadLetterQueueName(queue: string): string {
  return `${queue}.dlq`;
}

/** Delay queue of a handler queue for one retry delay tier, e.g. `orders.audit.retry.5000`. */
export function retryQueueName(queue: string, delayMs: number): string {
  return `${queue}.retry.${delayMs}`;
}

/**
 * Exchange that receives what the events exchange cannot route (its alternate exchange), so a
 * publish for which no handler is bound is parked instead of silently dropped by the broker.
 */
export function unroutedExchangeName(exchange: string): string {
  return `${exchange}.unrouted`;
}

/** Queue that holds unroutable events, bound to the unrouted exchange. */
export function unroutedQueueName(exchange: string): string {
  return `${exchange}.unrouted`;
}

/** Default queue of a handler: `<service>.<handler>`. */
export function handlerQueueName(serviceName: string, handler: string): string {
  return `${serviceName}.${handler}`;
}

/** Name of a connection as operators see it in the management UI and `rabbitmqctl`. */
export function connectionName(serviceName: string, role: 'publisher' | 'consumer'): string {
  return `${serviceName}-${role}`;
}
