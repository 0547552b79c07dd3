/** Routing key of the event, and its payload: the contract between orders and its consumers. */
export const ORDER_CREATED = 'order.created';

export interface OrderCreatedEvent {
  orderId: string;
  customerId: string;
  items: { sku: string; quantity: number }[];
  createdAt: string;
}
