/**
 * Where an event ordered by key goes: partition = a stable hash of its key, modulo the partition
 * count. Stable across processes, restarts and languages (FNV-1a over the key's UTF-8 bytes), so
 * every replica sends a key to the same partition and a producer in another language could too.
 * Nest-free: warren/testing uses it to run the same partitions in memory.
 */

/** Partitions of `@HandleEvent(pattern, { ordered: { by } })` when `partitions` is not given. */
export const DEFAULT_PARTITIONS = 8;
/** Most partitions of one handler: each is a queue and a consumer (a channel) on every replica. */
export const MAX_PARTITIONS = 64;

const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;

/** A key as `by` may return it; anything else is refused (the event is parked). */
export type PartitionKey = string | number;

/** The partition of `key` among `count` (0 … count − 1). */
export function partitionOf(key: PartitionKey, count: number): number {
  let hash = FNV_OFFSET;
  for (const byte of Buffer.from(String(key), 'utf8')) {
    hash ^= byte;
    hash = Math.imul(hash, FNV_PRIME) >>> 0;
  }
  return hash % count;
}

/** Whether `by` returned something usable as a key: a string or a finite number. */
export function isPartitionKey(value: unknown): value is PartitionKey {
  return (typeof value === 'string' && value.length > 0) || (typeof value === 'number' && Number.isFinite(value));
}
