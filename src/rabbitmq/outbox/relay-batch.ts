import { PublishError, PublishOutcomeUnknownError, PublishRejectedError } from '../errors/publish.errors.js';
import type { OutboxRow } from './outbox-store.js';

/** What became of a batch's rows: each in exactly one list. */
export interface BatchOutcome {
  confirmed: OutboxRow[];
  /** Could not be published because of the row itself: spends an attempt. */
  failed: { row: OutboxRow; reason: string }[];
  /** Not tried (or the broker was unavailable): given back without spending an attempt. */
  released: OutboxRow[];
}

/** How one publish ended. */
export type RowPublish = { kind: 'confirmed' } | { kind: 'failed'; reason: string } | { kind: 'unavailable' };

/**
 * Publishes a batch: rows without a key all at once, rows of one key one after the other in seq
 * order (the next only after the previous one's confirm), keys side by side. After a row of a
 * key fails, the key's later rows are not tried: they are released and wait behind it.
 */
export async function publishBatch(rows: readonly OutboxRow[], publish: (row: OutboxRow) => Promise<RowPublish>): Promise<BatchOutcome> {
  const outcome: BatchOutcome = { confirmed: [], failed: [], released: [] };
  const chains = new Map<string, OutboxRow[]>();
  const alone: OutboxRow[][] = [];
  for (const row of rows) {
    if (row.partitionKey === null) {
      alone.push([row]);
    } else {
      const chain = chains.get(row.partitionKey);
      if (chain) chain.push(row);
      else chains.set(row.partitionKey, [row]);
    }
  }
  await Promise.all(
    [...chains.values(), ...alone].map(async (chain) => {
      for (const [index, row] of chain.entries()) {
        const result = await publish(row);
        if (result.kind === 'confirmed') {
          outcome.confirmed.push(row);
          continue;
        }
        if (result.kind === 'failed') outcome.failed.push({ row, reason: result.reason });
        else outcome.released.push(row);
        outcome.released.push(...chain.slice(index + 1));
        return;
      }
    }),
  );
  return outcome;
}

/**
 * Whether a publish failed because of the row (spend an attempt) or because the broker is
 * unavailable (spend none). Nacked: the broker refused this message. Sent without an answer while
 * the connection stays up: the broker closed the channel over this message (e.g. larger than its
 * max_message_size). Every other PublishError means no usable broker right now.
 */
export function classifyPublishFailure(error: unknown, brokerUsable: boolean): RowPublish {
  const reason = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  if (error instanceof PublishRejectedError) return { kind: 'failed', reason };
  if (error instanceof PublishOutcomeUnknownError) return brokerUsable ? { kind: 'failed', reason } : { kind: 'unavailable' };
  if (error instanceof PublishError) return { kind: 'unavailable' };
  return { kind: 'failed', reason };
}
