import { setTimeout as delay } from 'node:timers/promises';
import { Controller, Logger } from '@nestjs/common';
import { Ctx, Payload } from '@nestjs/microservices';
// Value imports (not `import type`): the pipe validates against the classes, found through decorator metadata.
import { ORDER_CREATED, OrderCreatedEvent } from '../orders/events/order-created.event.js';
import { AppConfig } from '../config/app-config.js';
import { Publishes, Replies } from '../rabbitmq/index.js';
import { HandleEvent, HandleRequest, Inbox, Outbox, RabbitContext } from '../rabbitmq/index.js';
import { StockQueryDto } from './dto/stock-query.dto.js';
import { INVENTORY_STOCK, STOCK_LEVEL_SCHEMA, type StockLevel } from './inventory-queries.js';
import { INVENTORY_REJECTED, INVENTORY_REJECTED_SCHEMA, INVENTORY_RESERVED, INVENTORY_RESERVED_SCHEMA } from './inventory-events.js';
import { StockLedger } from './stock-ledger.js';

/** Reserves stock for each new order and announces the result. */
// No route prefix: a controller only because Nest binds message handlers on controllers; not logged as an HTTP route.
@Controller([])
@Publishes(INVENTORY_RESERVED, INVENTORY_RESERVED_SCHEMA)
@Publishes(INVENTORY_REJECTED, INVENTORY_REJECTED_SCHEMA)
export class InventoryHandler {
  private readonly logger = new Logger(InventoryHandler.name);

  constructor(
    private readonly stock: StockLedger,
    private readonly outbox: Outbox,
    private readonly inbox: Inbox,
    private readonly config: AppConfig,
  ) {}

  /** Answers stock lookups (GET /inventory/:sku) over request/reply. */
  @HandleRequest(INVENTORY_STOCK)
  @Replies(STOCK_LEVEL_SCHEMA)
  async stockLevel(@Payload() query: StockQueryDto): Promise<StockLevel> {
    if (this.config.inventoryLookupDelayMs > 0) {
      // INVENTORY_LOOKUP_DELAY_MS: a slow warehouse system, to see the caller's 504.
      await delay(this.config.inventoryLookupDelayMs);
    }
    return { sku: query.sku, available: await this.stock.unitsOf(query.sku) };
  }

  /**
   * One transaction: the inbox claim (a redelivery is acked without effects), the reservation and
   * its announcement through the outbox. Either all of it commits or none, so an order reserves
   * stock once and inventory.reserved is emitted once, even when order.created arrives twice.
   */
  @HandleEvent(ORDER_CREATED)
  async onOrderCreated(@Payload() order: OrderCreatedEvent, @Ctx() ctx: RabbitContext): Promise<void> {
    await this.outbox.transaction(async (tx) => {
      if (!(await this.inbox.claim(tx, ctx))) {
        return;
      }
      const result = await this.stock.reserve(tx, order.orderId, order.items);
      if (!result) {
        return;
      }
      const key = { key: order.orderId };
      if (result.reserved) {
        await this.outbox.publish(tx, INVENTORY_RESERVED, { orderId: order.orderId, customerId: order.customerId, items: order.items }, key);
        return;
      }
      this.logger.log(`order ${order.orderId} rejected: not enough stock`);
      await this.outbox.publish(
        tx,
        INVENTORY_REJECTED,
        { orderId: order.orderId, customerId: order.customerId, reason: 'insufficient stock', shortages: result.shortages },
        key,
      );
    });
  }
}
