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

// The catalogue's schemas of the two events (docs/asyncapi.yaml): they have no DTO, only the interfaces above.
const ORDER_ID = { type: 'string', minLength: 1, maxLength: 64 };

export const INVENTORY_RESERVED_SCHEMA = {
  type: 'object',
  title: 'InventoryReservedEvent',
  properties: {
    orderId: ORDER_ID,
    customerId: ORDER_ID,
    items: {
      type: 'array',
      items: { type: 'object', properties: { sku: { type: 'string' }, quantity: { type: 'integer', minimum: 1 } }, required: ['sku', 'quantity'] },
    },
  },
  required: ['orderId', 'items'],
};

export const INVENTORY_REJECTED_SCHEMA = {
  type: 'object',
  title: 'InventoryRejectedEvent',
  properties: {
    orderId: ORDER_ID,
    customerId: ORDER_ID,
    reason: { type: 'string' },
    shortages: {
      type: 'array',
      items: {
        type: 'object',
        properties: { sku: { type: 'string' }, requested: { type: 'integer' }, available: { type: 'integer' } },
        required: ['sku', 'requested', 'available'],
      },
    },
  },
  required: ['orderId', 'reason', 'shortages'],
};
