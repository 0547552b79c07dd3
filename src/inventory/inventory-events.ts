export const INVENTORY_RESERVED = 'inventory.reserved';
export const INVENTORY_REJECTED = 'inventory.rejected';
/** Every inventory result, for subscribers that want both (notifications). */
export const INVENTORY_RESULTS = 'inventory.*';

export interface InventoryReservedEvent {
  orderId: string;
  /** Added later: events evolve by adding fields, so older events may lack it. */
  customerId?: string;
  items: { sku: string; quantity: number }[];
}

export interface InventoryRejectedEvent {
  orderId: string;
  /** Added later: events evolve by adding fields, so older events may lack it. */
  customerId?: string;
  reason: string;
  shortages: { sku: string; requested: number; available: number }[];
}
