import { Injectable } from '@nestjs/common';
import { AppDatabase } from '../database/app-database.js';
import type { PoolClient } from 'pg';

/** Units on hand of a SKU nobody has reserved yet: the demo has no catalogue. */
export const INITIAL_UNITS_PER_SKU = 1_000;

export type ReservationResult = { reserved: true } | { reserved: false; shortages: { sku: string; requested: number; available: number }[] };

/**
 * Stock in PostgreSQL (`inventory_stock`), and one decision per order (`inventory_reservations`).
 * `reserve` runs in the handler's transaction, after its inbox claim: a redelivered event is
 * absorbed by the inbox, and an order id seen again (another message) is answered from its
 * recorded decision, so an order reserves stock once.
 */
@Injectable()
export class StockLedger {
  constructor(private readonly database: AppDatabase) {}

  /** The decision for this order, or undefined when it was decided before (nothing is taken or announced again). */
  async reserve(tx: PoolClient, orderId: string, items: { sku: string; quantity: number }[]): Promise<ReservationResult | undefined> {
    const requested = new Map<string, number>();
    for (const { sku, quantity } of items) {
      requested.set(sku, (requested.get(sku) ?? 0) + quantity);
    }
    const skus = [...requested.keys()].sort();
    // Rows locked in SKU order: two orders of the same SKUs queue up instead of deadlocking.
    await tx.query('INSERT INTO inventory_stock (sku, available) SELECT unnest($1::text[]), $2 ON CONFLICT DO NOTHING', [
      skus,
      INITIAL_UNITS_PER_SKU,
    ]);
    const { rows } = await tx.query<{ sku: string; available: number }>(
      'SELECT sku, available FROM inventory_stock WHERE sku = ANY($1) ORDER BY sku FOR UPDATE',
      [skus],
    );
    const available = new Map(rows.map((row) => [row.sku, row.available]));
    const shortages = [...requested]
      .map(([sku, quantity]) => ({ sku, requested: quantity, available: available.get(sku) ?? 0 }))
      .filter(({ requested: quantity, available: units }) => quantity > units);
    const reserved = shortages.length === 0;
    const decided = await tx.query(
      'INSERT INTO inventory_reservations (order_id, reserved, items) VALUES ($1, $2, $3::jsonb) ON CONFLICT DO NOTHING',
      [orderId, reserved, JSON.stringify(items)],
    );
    if (decided.rowCount === 0) {
      return undefined;
    }
    if (!reserved) {
      return { reserved: false, shortages };
    }
    for (const [sku, quantity] of requested) {
      await tx.query('UPDATE inventory_stock SET available = available - $2 WHERE sku = $1', [sku, quantity]);
    }
    return { reserved: true };
  }

  async unitsOf(sku: string): Promise<number> {
    const { rows } = await this.database.pool.query<{ available: number }>('SELECT available FROM inventory_stock WHERE sku = $1', [sku]);
    return rows[0]?.available ?? INITIAL_UNITS_PER_SKU;
  }
}
