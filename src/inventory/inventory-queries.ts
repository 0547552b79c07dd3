/** Request/reply pattern: how many units of a SKU are available (answered by InventoryHandler). */
export const INVENTORY_STOCK = 'inventory.stock';

/** Reply to INVENTORY_STOCK. */
export interface StockLevel {
  sku: string;
  available: number;
}

/** StockLevel in the catalogue (docs/asyncapi.yaml): an interface leaves no schema at run time. */
export const STOCK_LEVEL_SCHEMA = {
  type: 'object',
  title: 'StockLevel',
  properties: { sku: { type: 'string' }, available: { type: 'integer', minimum: 0 } },
  required: ['sku', 'available'],
};
