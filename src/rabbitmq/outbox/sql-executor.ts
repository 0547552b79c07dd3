/**
 * What `Outbox.publish` and `Inbox.claim` need of a team's transaction: one statement with
 * positional parameters ($1, $2 …). A `pg.PoolClient` (or `pg.Client`) inside BEGIN … COMMIT is
 * one as it is; docs/outbox.md shows the few lines for TypeORM, Prisma, Drizzle and Kysely.
 */
export interface SqlExecutor {
  query(text: string, values?: unknown[]): Promise<{ rowCount?: number | null }>;
}
