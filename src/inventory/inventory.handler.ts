import { setTimeout as delay } from 'node:timers/promises';
import { Controller, Logger } from '@nestjs/common';
import { Payload } from '@nestjs/microservices';
// Value imports (not `import type`): the pipe validates against the classes, found through decorator metadata.
import { ORDER_CREATED, OrderCreatedEvent } from '../orders/events/order-created.event.js';
import { AppConfig } from '../config/app-config.js';
import { HandleEvent, HandleRequest, RabbitClient } from '../rabbitmq/index.js';
import { StockQueryDto } from './dto/stock-query.dto.js';
import { INVENTORY_STOCK, type StockLevel } from './inventory-queries.js';
import { INVENTORY_REJECTED, INVENTORY_RESERVED } from './inventory-events.js';
import { StockLedger } from './stock-ledger.js';

/** Reserves stock for each new order and announces the result. */
@Controller()
export class InventoryHandler {
  private readonly logger = new Logger(InventoryHandler.name);

  constructor(
    private readonly stock: StockLedger,
    private readonly events: RabbitClient,
    private readonly config: AppConfig,
  ) {}

  /** Answers stock lookups (GET /inventory/:sku) over request/reply. */
  @HandleRequest(INVENTORY_STOCK)
  async stockLevel(@Payload() query: StockQueryDto): Promise<StockLevel> {
    if (this.config.inventoryLookupDelayMs > 0) {
      // INVENTORY_LOOKUP_DELAY_MS: a slow warehouse system, to see the caller's 504.
      await delay(this.config.inventoryLookupDelayMs);
    }
    return { sku: query.sku, available: this.stock.unitsOf(query.sku) };
  }

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
