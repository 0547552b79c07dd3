import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** A queue's arguments as the broker holds them (rabbitmqctl, what an operator would run). */
export async function queueArgumentsOnBroker(queue: string): Promise<Record<string, unknown>> {
  const { stdout } = await run('rabbitmqctl', ['-q', 'list_queues', 'name', 'arguments', '--formatter', 'json'], { timeout: 15_000 });
  const rows = JSON.parse(stdout) as { name: string; arguments: unknown }[];
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
