/** Request/reply pattern: how many units of a SKU are available (answered by InventoryHandler). */
export const INVENTORY_STOCK = 'inventory.stock';

/** Reply to INVENTORY_STOCK. */
export interface StockLevel {
  sku: string;
  available: number;
}
