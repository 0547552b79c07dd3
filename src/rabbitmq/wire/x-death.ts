import type { Message } from 'amqplib';
import { headerText } from './header-text.js';

/** One entry of the broker's `x-death` header: how often the message died where, and why. */
export interface DeathRecord {
  queue: string;
  /** `rejected`, `expired`, `maxlen` or `delivery_limit`. */
  reason: string;
  count: number;
  exchange?: string;
  routingKeys: string[];
  /** ISO 8601, when the broker recorded it. */
  time?: string;
}

/**
 * Reads `x-death` (newest first, as the broker keeps it). Messages we park ourselves carry the
 * history of their retry round trips here; messages the broker parked (delivery limit) carry
 * only this. Malformed entries are skipped: this is for display and routing hints only.
 */
export function readDeaths(message: Message): DeathRecord[] {
  const raw = message.properties.headers?.['x-death'];
  if (!Array.isArray(raw)) {
    return [];
  }
  const records: DeathRecord[] = [];
  for (const entry of raw as unknown[]) {
    if (typeof entry !== 'object' || entry === null) {
      continue;
    }
    const table = entry as Record<string, unknown>;
    const keys = Array.isArray(table['routing-keys']) ? (table['routing-keys'] as unknown[]) : [];
    records.push({
      queue: headerText(table.queue) ?? '?',
      reason: headerText(table.reason) ?? '?',
      count: Number(table.count ?? 0) || 0,
      exchange: headerText(table.exchange),
      routingKeys: keys.map((key) => headerText(key)).filter((key): key is string => key !== undefined),
      time: timestamp(table.time),
    });
  }
  return records;
}

/** `2× delivery_limit in orders.audit` — one line per entry, for operators. */
export function formatDeath(record: DeathRecord): string {
  return `${record.count}× ${record.reason} in ${record.queue}${record.time ? ` (last ${record.time})` : ''}`;
}

/** amqplib decodes AMQP timestamps (seconds) as `{ '!': 'timestamp', value }`. */
function timestamp(value: unknown): string | undefined {
  const seconds =
    typeof value === 'number' ? value : typeof value === 'object' && value !== null ? Number((value as { value?: unknown }).value) : NaN;
  return Number.isFinite(seconds) ? new Date(seconds * 1000).toISOString() : undefined;
}
