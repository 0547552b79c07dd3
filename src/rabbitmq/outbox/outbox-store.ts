import pg, { type Pool, type QueryResult, type QueryResultRow } from 'pg';
import { CLAIM_LOCK, WARREN_LOCK_CLASS } from './outbox-locks.js';

/** A claimed outbox row, as the relay publishes it. */
export interface OutboxRow {
  seq: string;
  messageId: string;
  exchange: string;
  routingKey: string;
  partitionKey: string | null;
  body: Buffer;
  properties: Record<string, unknown> & { messageId: string };
  attempts: number;
  /** Age of the row when it was claimed, by the database's clock (commit-to-confirm latency starts there). */
  ageMs: number;
  /** performance.now() when it was claimed. */
  claimedAt: number;
}

/** Pending rows and the oldest one's age, as last counted. */
export interface OutboxBacklog {
  pending: number;
  oldestAgeMs: number;
}

/**
 * The claim, its values inlined (see `transaction`). `seq = ANY(ARRAY(…))`: the rows are then updated
 * through the primary key; a join on the subquery is planned as a scan of the whole table (25 ms for 20,000 rows, per claim).
 */
function claimStatement(owner: string, leaseMs: string, limit: string): string {
  return `
UPDATE warren_outbox o SET lease_owner = ${owner}, lease_until = now() + ${leaseMs} * interval '1 millisecond'
WHERE o.seq = ANY(ARRAY(
  SELECT c.seq FROM warren_outbox c
  WHERE (c.lease_until IS NULL OR c.lease_until < now()) AND c.next_attempt_at <= now()
    AND (c.partition_key IS NULL OR NOT EXISTS (
      SELECT 1 FROM warren_outbox e
      WHERE e.partition_key = c.partition_key AND e.seq < c.seq AND (e.lease_until >= now() OR e.next_attempt_at > now())))
  ORDER BY c.seq LIMIT ${limit} FOR UPDATE SKIP LOCKED
))
RETURNING o.seq, o.message_id, o.exchange, o.routing_key, o.partition_key, o.body, o.properties, o.attempts,
  (extract(epoch from now() - o.created_at) * 1000)::float8 AS age_ms`;
}

/** A value inlined into SQL: a non-negative integer (as a number or a bigint's decimal string), or an error. */
function integer(value: number | string): string {
  const text = String(value);
  if (!/^\d{1,19}$/.test(text)) {
    throw new TypeError(`expected a non-negative integer, got ${text}`);
  }
  return text;
}

/** Moves a row to warren_outbox_dead, in one statement, only if this relay still holds it. */
const BURY = `
WITH moved AS (DELETE FROM warren_outbox WHERE seq = $1 AND lease_owner = $2 RETURNING *)
INSERT INTO warren_outbox_dead (seq, message_id, exchange, routing_key, partition_key, body, properties, created_at, attempts, last_error, reason)
SELECT seq, message_id, exchange, routing_key, partition_key, body, properties, created_at, attempts + 1, $3, $3 FROM moved`;

/** A failed row waits base·2^attempts ms (at most max) for its next attempt. */
const RETRY = `
UPDATE warren_outbox SET lease_owner = NULL, lease_until = NULL, attempts = attempts + 1, last_error = $3,
  next_attempt_at = now() + least($4::float8 * power(2, attempts), $5::float8) * interval '1 millisecond'
WHERE seq = $1 AND lease_owner = $2`;

/**
 * The relay's statements on warren_outbox. Every change after the claim is fenced by
 * `lease_owner`: a relay whose lease expired and whose rows another replica re-claimed changes
 * nothing (and is told so by the row counts).
 */
export class OutboxStore {
  constructor(private readonly pool: Pool) {}

  /**
   * Leases up to `limit` rows in seq order: rows not leased (or whose lease expired), due, and
   * with no earlier row of their key leased or waiting for a retry. The transaction-scoped
   * advisory lock serialises claims of all replicas, so each claim's snapshot sees the leases the
   * previous one committed: a key's rows are never claimed by two relays at once.
   */
  async claim(owner: string, leaseMs: number, limit: number): Promise<OutboxRow[]> {
    const [, , claimed] = await this.transaction<ClaimedRow>([
      `SELECT pg_advisory_xact_lock(${WARREN_LOCK_CLASS}, ${CLAIM_LOCK})`,
      'SET LOCAL synchronous_commit = off',
      claimStatement(pg.escapeLiteral(owner), integer(leaseMs), integer(limit)),
    ]);
    const claimedAt = performance.now();
    return claimed.rows
      .map((row) => ({
        seq: row.seq,
        messageId: row.message_id,
        exchange: row.exchange,
        routingKey: row.routing_key,
        partitionKey: row.partition_key,
        body: row.body,
        properties: row.properties,
        attempts: row.attempts,
        ageMs: row.age_ms,
        claimedAt,
      }))
      .sort((a, b) => compareSeq(a.seq, b.seq));
  }

  /** Deletes published rows still leased by `owner`; returns how many it deleted. */
  async delete(owner: string, seqs: readonly string[]): Promise<number> {
    if (seqs.length === 0) {
      return 0;
    }
    const [, deleted] = await this.transaction([
      'SET LOCAL synchronous_commit = off',
      `DELETE FROM warren_outbox WHERE seq = ANY('{${seqs.map(integer).join(',')}}'::bigint[]) AND lease_owner = ${pg.escapeLiteral(owner)}`,
    ]);
    return deleted.rowCount ?? 0;
  }

  /** Gives rows back (no attempt spent): the broker was unavailable, or an earlier row of their key failed. */
  async release(owner: string, seqs: readonly string[]): Promise<void> {
    if (seqs.length > 0) {
      await this.pool.query('UPDATE warren_outbox SET lease_owner = NULL, lease_until = NULL WHERE seq = ANY($1::bigint[]) AND lease_owner = $2', [
        seqs,
        owner,
      ]);
    }
  }

  /** Gives back every row `owner` holds (shutdown). */
  async releaseAll(owner: string): Promise<number> {
    const result = await this.pool.query('UPDATE warren_outbox SET lease_owner = NULL, lease_until = NULL WHERE lease_owner = $1', [owner]);
    return result.rowCount ?? 0;
  }

  /** Schedules a failed row's next attempt; false when the row was no longer this relay's. */
  async retry(owner: string, seq: string, reason: string, backoff: { baseMs: number; maxMs: number }): Promise<boolean> {
    const result = await this.pool.query(RETRY, [seq, owner, reason, backoff.baseMs, backoff.maxMs]);
    return result.rowCount === 1;
  }

  /** Moves a row that used its attempts to warren_outbox_dead; false when it was no longer this relay's. */
  async bury(owner: string, seq: string, reason: string): Promise<boolean> {
    const result = await this.pool.query(BURY, [seq, owner, reason]);
    return result.rowCount === 1;
  }

  /**
   * Runs `statements` in one transaction and one round trip (a simple-protocol query, so values are inlined): on a
   * busy machine every round trip waits for the database's turn on a CPU, and the relay waits for its claims.
   * Returns each statement's result. The relay's own bookkeeping commits with `synchronous_commit = off`: a claim or
   * delete lost in a database crash only makes its rows published again, which at-least-once allows.
   */
  private async transaction<R extends QueryResultRow>(statements: string[]): Promise<QueryResult<R>[]> {
    const client = await this.pool.connect();
    let healthy = false;
    try {
      const results = (await client.query(['BEGIN', ...statements, 'COMMIT'].join(';\n'))) as unknown as QueryResult<R>[];
      healthy = true;
      return results.slice(1, -1);
    } finally {
      if (!healthy) {
        // An error stops the string at the failed statement, inside the transaction.
        await client.query('ROLLBACK').catch(() => undefined);
      }
      client.release(!healthy);
    }
  }

  /** Rows not yet published and the age of the oldest (one index lookup for the age, one count). */
  async backlog(): Promise<OutboxBacklog> {
    const { rows } = await this.pool.query<{ pending: string; oldest_age_ms: number | null }>(
      `SELECT count(*) AS pending, (extract(epoch from now() - min(created_at)) * 1000)::float8 AS oldest_age_ms FROM warren_outbox`,
    );
    return { pending: Number(rows[0]?.pending ?? 0), oldestAgeMs: Math.max(0, rows[0]?.oldest_age_ms ?? 0) };
  }
}

interface ClaimedRow {
  seq: string;
  message_id: string;
  exchange: string;
  routing_key: string;
  partition_key: string | null;
  body: Buffer;
  properties: OutboxRow['properties'];
  attempts: number;
  age_ms: number;
}

/** bigint seqs arrive as strings: shorter is smaller, else compare as text. */
function compareSeq(a: string, b: string): number {
  return a.length - b.length || (a < b ? -1 : a > b ? 1 : 0);
}
