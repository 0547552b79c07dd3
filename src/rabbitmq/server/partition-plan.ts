import { deadLetterQueueName, partitionQueueName, replicasQueueName } from '../topology/topology-names.js';
import type { HandlerDefinition } from './handler-registry.js';

/**
 * The partitions of a handler ordered by key, each as an ordered handler of its own: the same
 * method, pipeline, timeout and retry policy, on `<queue>.p<i>` (single active consumer, one at a
 * time, retries in place), parking in the handler's one `<queue>.dlq`. Empty for any other handler.
 */
export function partitionDefinitions(definition: HandlerDefinition): HandlerDefinition[] {
  const { partitioning } = definition;
  if (!partitioning) {
    return [];
  }
  return Array.from({ length: partitioning.count }, (_, index) => {
    const { partitioning: _router, ...handler } = definition;
    return {
      ...handler,
      queue: partitionQueueName(definition.queue, index),
      prefetch: 1,
      concurrency: 1,
      ordered: true,
      queueArguments: { 'x-single-active-consumer': true },
      partitionOf: { handlerQueue: definition.queue, index },
    };
  });
}

/** Where a definition's messages are parked: its own `<queue>.dlq`, or for a partition its handler's. */
export function parkingQueueOf(definition: Pick<HandlerDefinition, 'queue' | 'partitionOf'>): string {
  return deadLetterQueueName(definition.partitionOf?.handlerQueue ?? definition.queue);
}

/** The queues a handler ordered by key adds beside its own: its partitions and the replicas' presence queue. */
export function partitionQueues(definition: HandlerDefinition): string[] {
  const partitions = partitionDefinitions(definition).map((partition) => partition.queue);
  return partitions.length === 0 ? [] : [...partitions, replicasQueueName(definition.queue)];
}
