import { Controller } from '@nestjs/common';
import { Payload } from '@nestjs/microservices';
// Value imports (not `import type`): the pipe validates against the classes, found through decorator metadata.
import { ORDER_CREATED, OrderCreatedEvent } from '../orders/events/order-created.event.js';
import { OnEvent } from '../rabbitmq/index.js';
import { USER_REGISTERED, UserRegisteredEvent } from '../users/events/user-registered.event.js';
import { Mailer } from './mailer.port.js';

/** Sends the emails of the demo: welcome on registration, confirmation on order. */
@Controller()
export class NotificationsHandler {
  constructor(private readonly mailer: Mailer) {}

  @OnEvent(USER_REGISTERED)
  async onUserRegistered(@Payload() user: UserRegisteredEvent): Promise<void> {
    await this.mailer.send({ to: user.email, subject: `Welcome, ${user.name}`, text: 'Thanks for signing up.' });
  }

  @OnEvent(ORDER_CREATED)
  async onOrderCreated(@Payload() order: OrderCreatedEvent): Promise<void> {
    await this.mailer.send({
      to: `customer:${order.customerId}`,
      subject: `Order ${order.orderId} received`,
      text: `${order.items.length} item(s) ordered.`,
    });
  }
}
