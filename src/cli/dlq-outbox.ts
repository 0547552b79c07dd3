import pg from 'pg';
// Nest-free modules, not the admin entry's value exports: the CLI starts without loading Nest (see dlq.ts).
import { type DeadOutboxRow, listDeadOutboxRows, requeueDeadOutboxRow } from '../rabbitmq/admin.js';
import type { DlqCommand } from './dlq-arguments.js';
import { EXIT_FAILURE, EXIT_OK, EXIT_USAGE } from './dlq-command.js';
import { printable } from './dlq-output.js';

/** An unreachable database fails the command after this, instead of leaving the operator waiting. */
const CONNECT_TIMEOUT_MS = 5_000;

export const DATABASE_URL_UNSET =
  "DATABASE_URL is not set: the outbox's dead rows are in the service's PostgreSQL (warren_outbox_dead); " +
  'run the command with the DATABASE_URL the service uses';

type OutboxCommand = Extract<DlqCommand, { command: 'outbox' | 'outbox-requeue' }>;

/**
 * `outbox` lists warren_outbox_dead (the events the relay could not publish and gave up on);
 * `outbox-requeue <id>` moves one back into the outbox. The database comes from DATABASE_URL, as
 * for the service; unset, the command says so and exits 2. Never prints the URL (it may hold a password).
 */
export async function runOutboxCommand(
  command: OutboxCommand,
  context: { databaseUrl: string | undefined; out: (line: string) => void; err: (line: string) => void },
): Promise<number> {
  if (!context.databaseUrl) {
    context.err(`dlq: ${DATABASE_URL_UNSET}`);
    return EXIT_USAGE;
  }
  const pool = new pg.Pool({ connectionString: context.databaseUrl, max: 1, connectionTimeoutMillis: CONNECT_TIMEOUT_MS });
  // A connection cut while idle must not crash the command with an unhandled 'error'; the query in progress fails instead.
  pool.on('error', () => undefined);
  try {
    if (command.command === 'outbox') {
      context.out(formatDeadOutboxRows(await listDeadOutboxRows(pool, command.limit)));
      return EXIT_OK;
    }
    if (await requeueDeadOutboxRow(pool, command.messageId)) {
      context.out(`requeued ${command.messageId} into warren_outbox: the relay publishes it again (attempts reset)`);
      return EXIT_OK;
    }
    context.err(`no dead outbox row has message id ${command.messageId} (see: npm run dlq -- outbox)`);
    return EXIT_FAILURE;
  } finally {
    await pool.end().catch(() => undefined);
  }
}

/**
 * `warren_outbox_dead: showing n of total`, then one block per row. Routing keys, keys and reasons
 * come from producers and the broker: each goes through `printable`, like `peek`'s fields.
 */
export function formatDeadOutboxRows(listing: { total: number; rows: DeadOutboxRow[] }): string {
  const header = `warren_outbox_dead: showing ${listing.rows.length} of ${listing.total} dead outbox row(s)`;
  return [header, ...listing.rows.map(formatRow)].join('\n\n');
}

function formatRow(row: DeadOutboxRow, index: number): string {
  return [
    `#${index + 1} messageId: ${printable(row.messageId)}`,
    `  routing key: ${printable(row.routingKey)}`,
    ...(row.partitionKey === null ? [] : [`  key: ${printable(row.partitionKey)}`]),
    `  attempts: ${row.attempts}`,
    `  dead since: ${row.deadAt.toISOString()} (written ${row.createdAt.toISOString()})`,
    `  reason: ${printable(row.reason)}`,
  ].join('\n');
}
