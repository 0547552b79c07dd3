import { Controller, Logger } from '@nestjs/common';
import { Payload } from '@nestjs/microservices';
// Value imports (not `import type`): the pipe validates against the classes, found through decorator metadata.
import { ORDER_CREATED, OrderCreatedEvent } from '../orders/events/order-created.event.js';
import { HandleEvent, RabbitClient } from '../rabbitmq/index.js';
import { INVENTORY_REJECTED, INVENTORY_RESERVED } from './inventory-events.js';
import { StockLedger } from './stock-ledger.js';

/** Reserves stock for each new order and announces the result. */
@Controller()
export class InventoryHandler {
  private readonly logger = new Logger(InventoryHandler.name);

  constructor(
    private readonly stock: StockLedger,
    private readonly events: RabbitClient,
  ) {}

  @HandleEvent(ORDER_CREATED)
  async onOrderCreated(@Payload() order: OrderCreatedEvent): Promise<void> {
    const result = this.stock.reserve(order.orderId, order.items);
    if (result.reserved) {
      await this.events.publish(INVENTORY_RESERVED, { orderId: order.orderId, customerId: order.customerId, items: order.items });
      return;
    }
    this.logger.log(`order ${order.orderId} rejected: not enough stock`);
    await this.events.publish(INVENTORY_REJECTED, {
      orderId: order.orderId,
      customerId: order.customerId,
      reason: 'insufficient stock',
      shortages: result.shortages,
    });
  }
}
