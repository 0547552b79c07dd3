import type { Pool } from 'pg';

/** One row of warren_outbox_dead, as an operator reads it (the body stays in the table). */
export interface DeadOutboxRow {
  messageId: string;
  routingKey: string;
  partitionKey: string | null;
  attempts: number;
  reason: string;
  createdAt: Date;
  deadAt: Date;
}

/**
 * The outbox rows that used their attempts, most recent first, and how many there are in all: for
 * the dlq CLI and operators' tools. Read-only.
 */
export async function listDeadOutboxRows(pool: Pool, limit = 50): Promise<{ total: number; rows: DeadOutboxRow[] }> {
  const [count, listed] = await Promise.all([
    pool.query<{ total: string }>('SELECT count(*) AS total FROM warren_outbox_dead'),
    pool.query<{
      message_id: string;
      routing_key: string;
      partition_key: string | null;
      attempts: number;
      reason: string;
      created_at: Date;
      dead_at: Date;
    }>(
      'SELECT message_id, routing_key, partition_key, attempts, reason, created_at, dead_at FROM warren_outbox_dead ORDER BY dead_at DESC, seq DESC LIMIT $1',
      [limit],
    ),
  ]);
  return {
    total: Number(count.rows[0]?.total ?? 0),
    rows: listed.rows.map((row) => ({
      messageId: row.message_id,
      routingKey: row.routing_key,
      partitionKey: row.partition_key,
      attempts: row.attempts,
      reason: row.reason,
      createdAt: row.created_at,
      deadAt: row.dead_at,
    })),
  };
}

/**
 * Moves a dead row back into warren_outbox, in one statement: the same message id, properties and
 * body, attempts 0, due now, and a new seq and created_at (it is published after the rows already
 * waiting, and the backlog's oldest age and commit-to-confirm latency count from now, not from its
 * first commit). The relay publishes it within its poll interval. False when no dead row has that id.
 */
export async function requeueDeadOutboxRow(pool: Pool, messageId: string): Promise<boolean> {
  const result = await pool.query(
    `WITH moved AS (DELETE FROM warren_outbox_dead WHERE message_id = $1 RETURNING message_id, exchange, routing_key, partition_key, body, properties)
     INSERT INTO warren_outbox (message_id, exchange, routing_key, partition_key, body, properties)
     SELECT message_id, exchange, routing_key, partition_key, body, properties FROM moved`,
    [messageId],
  );
  return result.rowCount === 1;
}
