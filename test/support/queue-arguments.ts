import { listOnSharedBroker } from './broker.js';

/** A queue's arguments as the broker holds them (rabbitmqctl, what an operator would run). */
export async function queueArgumentsOnBroker(queue: string): Promise<Record<string, unknown>> {
  const rows = await listOnSharedBroker<{ name: string; arguments: unknown }>(['list_queues', 'name', 'arguments']);
  const row = rows.find((r) => r.name === queue);
  if (!row) {
    throw new Error(`queue ${queue} does not exist`);
  }
  // rabbitmqctl renders arguments as an object, or as [name, type, value] triples on older versions.
  if (Array.isArray(row.arguments)) {
    return Object.fromEntries((row.arguments as unknown[][]).map((entry) => [String(entry[0]), entry[2]]));
  }
  return row.arguments as Record<string, unknown>;
}
