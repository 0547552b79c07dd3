import { Injectable } from '@nestjs/common';

/** Units on hand of a SKU nobody has reserved yet: the demo has no catalogue. */
export const INITIAL_UNITS_PER_SKU = 1_000;

export type ReservationResult = { reserved: true } | { reserved: false; shortages: { sku: string; requested: number; available: number }[] };

/**
 * In-memory stock. Reservations are keyed by order id and remembered, because delivery is
 * at-least-once: the same order.created may arrive twice and must not reserve twice.
 */
@Injectable()
export class StockLedger {
  private readonly available = new Map<string, number>();
  private readonly outcomes = new Map<string, ReservationResult>();

  reserve(orderId: string, items: { sku: string; quantity: number }[]): ReservationResult {
    const known = this.outcomes.get(orderId);
    if (known) {
      return known;
    }
    const requested = new Map<string, number>();
    for (const { sku, quantity } of items) {
      requested.set(sku, (requested.get(sku) ?? 0) + quantity);
    }
    const shortages = [...requested]
      .map(([sku, quantity]) => ({ sku, requested: quantity, available: this.unitsOf(sku) }))
      .filter(({ requested: quantity, available }) => quantity > available);
    const result: ReservationResult = shortages.length > 0 ? { reserved: false, shortages } : { reserved: true };
    if (result.reserved) {
      for (const [sku, quantity] of requested) {
        this.available.set(sku, this.unitsOf(sku) - quantity);
      }
    }
    this.outcomes.set(orderId, result);
    return result;
  }

  unitsOf(sku: string): number {
    return this.available.get(sku) ?? INITIAL_UNITS_PER_SKU;
  }
}
