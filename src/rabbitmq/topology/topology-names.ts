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
 * Alternate exchange of events exchanges made by older warren versions (which declared the
 * events exchange with `alternate-exchange`). Only kept up for such exchanges: today's is plain,
 * and unroutable publishes are detected with `mandatory` instead (see UnroutedReturns).
 */
export function unroutedExchangeName(exchange: string): string {
  return `${exchange}.unrouted`;
}

/** Queue that holds copies of unroutable events (and, for older exchanges, their alternate exchange's). */
export function unroutedQueueName(exchange: string): string {
  return `${exchange}.unrouted`;
}

/**
 * Partition queue `index` of a handler ordered by key, `<queue>.p<index>`: the handler's queue is
 * consumed by the partition router, which forwards each event to one of these (see PartitionRouter).
 */
export function partitionQueueName(queue: string, index: number): string {
  return `${queue}.p${index}`;
}

/**
 * Queue every replica of a handler ordered by key subscribes to, so that any replica can count them
 * (its declare-ok's consumer count) and take its fair share of the partitions. Nothing is published to it.
 */
export function replicasQueueName(queue: string): string {
  return `${queue}.replicas`;
}

/** Default queue of a handler: `<service>.<handler>`. */
export function handlerQueueName(serviceName: string, handler: string): string {
  return `${serviceName}.${handler}`;
}

/** Name of a connection as operators see it in the management UI and `rabbitmqctl`. */
export function connectionName(serviceName: string, role: 'publisher' | 'consumer' | 'replies'): string {
  return `${serviceName}-${role}`;
}

/**
 * Queue of a request pattern, `<exchange>.rpc.<pattern>`: callers reach it through the default
 * exchange by pattern alone (without knowing the responding service), every instance of the
 * responder consumes it, and services on another events exchange are another system. Not bound to
 * the events exchange, so no event handler ever sees a request.
 */
export function requestQueueName(exchange: string, pattern: string): string {
  return `${exchange}.rpc.${pattern}`;
}
