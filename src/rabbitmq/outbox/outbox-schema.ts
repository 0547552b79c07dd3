/** One versioned schema change: applied once, in version order, never edited after release (add a new one). */
export interface Migration {
  readonly version: number;
  readonly name: string;
  readonly sql: string;
}

/** The columns an outbox row and a dead row share. */
const ROW_COLUMNS = `
  seq bigint NOT NULL,
  message_id uuid NOT NULL,
  exchange text NOT NULL,
  routing_key text NOT NULL,
  partition_key text NULL,
  body bytea NOT NULL,
  properties jsonb NOT NULL,
  created_at timestamptz NOT NULL,
  attempts int NOT NULL,
  last_error text NULL`;

/**
 * The outbox, its dead rows and the inbox. The outbox is a queue table (every row inserted once,
 * leased, and deleted after its confirm), so autovacuum runs on it early and without sleeping
 * (dead tuples would otherwise pile up under load and slow every claim), and its pages keep 30 %
 * free so that the lease update stays on the row's page (a HOT update: no new index entries).
 */
export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'outbox, dead rows and inbox',
    sql: `
CREATE TABLE warren_outbox (
  seq bigserial PRIMARY KEY,
  message_id uuid NOT NULL UNIQUE,
  exchange text NOT NULL,
  routing_key text NOT NULL,
  partition_key text NULL,
  body bytea NOT NULL,
  properties jsonb NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  attempts int NOT NULL DEFAULT 0,
  next_attempt_at timestamptz NOT NULL DEFAULT now(),
  lease_owner text NULL,
  lease_until timestamptz NULL,
  last_error text NULL
) WITH (fillfactor = 70, autovacuum_vacuum_scale_factor = 0.01, autovacuum_vacuum_threshold = 1000, autovacuum_vacuum_cost_delay = 0,
        autovacuum_analyze_scale_factor = 0.02);
CREATE INDEX warren_outbox_partition_key_seq ON warren_outbox (partition_key, seq) WHERE partition_key IS NOT NULL;
CREATE TABLE warren_outbox_dead (${ROW_COLUMNS},
  reason text NOT NULL,
  dead_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (seq)
);
CREATE TABLE warren_inbox (
  message_id text NOT NULL,
  queue text NOT NULL,
  processed_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (message_id, queue)
) WITH (autovacuum_vacuum_scale_factor = 0.02, autovacuum_vacuum_cost_delay = 0);
CREATE INDEX warren_inbox_processed_at ON warren_inbox (processed_at);
`,
  },
];
