/**
 * Bytes of a message's own headers a retry or dead-letter copy keeps. amqplib encodes a header
 * table into a 64 KiB buffer and throws beyond it, while RabbitMQ accepts far larger tables from
 * other clients (up to its frame size): a copy carrying such headers could never be published and
 * the message would loop. 16 KiB keeps every ordinary header (trace ids, tenant, `x-death`) and
 * leaves ample room for the reason headers we add.
 */
export const CARRIED_HEADERS_BUDGET_BYTES = 16 * 1024;

/** Nested tables deeper than this are not measured (nor kept): no real header nests so deep. */
const MAX_MEASURED_DEPTH = 16;

/** Field-table keys are AMQP short strings. */
const MAX_KEY_BYTES = 255;

/** amqplib's `{'!': type, value}` numeric types: a tag and at most 8 bytes each. */
const NUMERIC_TYPES = new Set([
  'double',
  'float64',
  'float',
  'byte',
  'int8',
  'unsignedbyte',
  'uint8',
  'short',
  'int16',
  'unsignedshort',
  'uint16',
  'int',
  'int32',
  'unsignedint',
  'uint32',
  'long',
  'int64',
  'timestamp',
]);

export interface BoundedHeaders {
  headers: Record<string, unknown>;
  /** Names of the headers left out, in their original order. */
  dropped: string[];
}

/**
 * The headers of `headers` that fit `budgetBytes` once encoded, in their order; a header that does
 * not fit is dropped and the next ones are still tried, so one huge header costs only itself.
 * Keys in `skip` are left out without counting (the caller writes them anew).
 */
export function boundHeaders(
  headers: Record<string, unknown> | undefined,
  budgetBytes: number,
  skip: ReadonlySet<string> = new Set(),
): BoundedHeaders {
  const kept: Record<string, unknown> = {};
  const dropped: string[] = [];
  let remaining = budgetBytes;
  for (const key of Object.keys(headers ?? {})) {
    const value = headers![key];
    if (skip.has(key) || value === undefined) {
      continue; // amqplib skips undefined values too
    }
    const keyBytes = Buffer.byteLength(key);
    const size = keyBytes > MAX_KEY_BYTES ? Infinity : 1 + keyBytes + fieldValueSize(value, remaining, 0);
    if (size <= remaining) {
      kept[key] = value;
      remaining -= size;
    } else {
      dropped.push(key);
    }
  }
  return { headers: kept, dropped };
}

/**
 * Size of amqplib's typed value (how it hands over a decimal or timestamp it decoded); Infinity for
 * a type or value it would refuse to encode.
 */
function typedValueSize(type: unknown, value: unknown): number {
  if (typeof type === 'string' && NUMERIC_TYPES.has(type) && (typeof value === 'number' || typeof value === 'bigint')) {
    return 9;
  }
  if (type === 'decimal' && value !== null && typeof value === 'object') {
    const { places, digits } = value as { places?: unknown; digits?: unknown };
    return Number.isInteger(places) && Number.isInteger(digits) ? 6 : Infinity;
  }
  return Infinity;
}

/**
 * An upper bound of the bytes amqplib writes for one field value (type tag included), or a number
 * above `limit` as soon as it is known to exceed it (so a huge value is not measured in full).
 * Values of a shape we do not know are reported as too large: dropped, never guessed at.
 */
export function fieldValueSize(value: unknown, limit: number, depth: number): number {
  if (depth > MAX_MEASURED_DEPTH) {
    return Infinity;
  }
  switch (typeof value) {
    case 'string':
      return 5 + Buffer.byteLength(value); // tag + 32-bit length + bytes
    case 'number':
      return 9; // tag + at most 8 bytes (double or 64-bit integer)
    case 'boolean':
      return 2;
    case 'object':
      break;
    default:
      return value === undefined ? 0 : Infinity;
  }
  if (value === null) {
    return 1;
  }
  if (Buffer.isBuffer(value)) {
    return 5 + value.length;
  }
  if (value instanceof Date) {
    return 9;
  }
  if (Array.isArray(value)) {
    let size = 5;
    for (const item of value) {
      size += fieldValueSize(item, limit - size, depth + 1);
      if (size > limit) {
        return size;
      }
    }
    return size;
  }
  const record = value as Record<string, unknown>;
  if (Object.hasOwn(record, '!')) {
    return typedValueSize(record['!'], record.value);
  }
  let size = 5;
  for (const key of Object.keys(record)) {
    if (record[key] === undefined) {
      continue;
    }
    const keyBytes = Buffer.byteLength(key);
    if (keyBytes > MAX_KEY_BYTES) {
      return Infinity;
    }
    size += 1 + keyBytes + fieldValueSize(record[key], limit - size, depth + 1);
    if (size > limit) {
      return size;
    }
  }
  return size;
}
