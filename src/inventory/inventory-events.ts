export const INVENTORY_RESERVED = 'inventory.reserved';
export const INVENTORY_REJECTED = 'inventory.rejected';

export interface InventoryReservedEvent {
  orderId: string;
  items: { sku: string; quantity: number }[];
}

export interface InventoryRejectedEvent {
  orderId: string;
  reason: string;
  shortages: { sku: string; requested: number; available: number }[];
}
