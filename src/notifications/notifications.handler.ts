import { Controller } from '@nestjs/common';
import { Ctx, Payload } from '@nestjs/microservices';
import { INVENTORY_REJECTED, INVENTORY_RESULTS } from '../inventory/inventory-events.js';
// Value imports (not `import type`): the pipe validates against the classes, found through decorator metadata.
import { InventoryResultEvent } from './dto/inventory-result.event.js';
import { ORDER_CREATED, OrderCreatedEvent } from '../orders/events/order-created.event.js';
import { HandleEvent, RabbitContext } from '../rabbitmq/index.js';
import { USER_REGISTERED, UserRegisteredEvent } from '../users/events/user-registered.event.js';
import { Mailer } from './mailer.port.js';

/**
 * Sends the emails of the demo: welcome on registration, confirmation on order, and the stock
 * result of the order (so every event the demo publishes has a subscriber, and nothing piles up
 * in the unrouted queue).
 */
// No route prefix: a controller only because Nest binds message handlers on controllers; not logged as an HTTP route.
@Controller([])
export class NotificationsHandler {
  constructor(private readonly mailer: Mailer) {}

  @HandleEvent(USER_REGISTERED)
  async onUserRegistered(@Payload() user: UserRegisteredEvent): Promise<void> {
    await this.mailer.send({ to: user.email, subject: `Welcome, ${user.name}`, text: 'Thanks for signing up.' });
  }

  @HandleEvent(ORDER_CREATED)
  async onOrderCreated(@Payload() order: OrderCreatedEvent): Promise<void> {
    await this.mailer.send({
      to: `customer:${order.customerId}`,
      subject: `Order ${order.orderId} received`,
      text: `${order.items.length} item(s) ordered.`,
    });
  }

  /**
   * One queue for both results (`inventory.*`): the routing key says which one it is. Ordered per
   * customer: a customer hears about their orders in the order they were decided, while other
   * customers' mails go out in parallel, on 8 partitions spread over the replicas (docs/handlers.md).
   */
  @HandleEvent(INVENTORY_RESULTS, { ordered: { by: (result: InventoryResultEvent) => result.customerId ?? result.orderId } })
  async onInventoryResult(@Payload() result: InventoryResultEvent, @Ctx() context: RabbitContext): Promise<void> {
    const rejected = context.getPattern() === INVENTORY_REJECTED;
    await this.mailer.send({
      to: result.customerId ? `customer:${result.customerId}` : `order:${result.orderId}`,
      subject: rejected ? `Order ${result.orderId} could not be reserved` : `Order ${result.orderId} is reserved`,
      text: rejected ? `Sorry: ${result.reason ?? 'not enough stock'}.` : 'Your items are set aside and will ship soon.',
    });
  }
}
