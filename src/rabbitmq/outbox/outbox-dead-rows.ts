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
