import { randomUUID } from 'node:crypto';
import { Body, Controller, HttpCode, HttpStatus, Post } from '@nestjs/common';
import { RabbitClient } from '../rabbitmq/index.js';
import { CreateOrderDto } from './dto/create-order.dto.js';
import { ORDER_CREATED, type OrderCreatedEvent } from './events/order-created.event.js';

@Controller('orders')
export class OrdersController {
  constructor(private readonly events: RabbitClient) {}

  /** 202 only once the broker has confirmed the event: "accepted" means it cannot be lost. */
  @Post()
  @HttpCode(HttpStatus.ACCEPTED)
  async create(@Body() dto: CreateOrderDto): Promise<{ orderId: string; eventId: string }> {
    const event: OrderCreatedEvent = {
      orderId: randomUUID(),
      customerId: dto.customerId,
      items: dto.items.map(({ sku, quantity }) => ({ sku, quantity })),
      createdAt: new Date().toISOString(),
    };
    const receipt = await this.events.publish(ORDER_CREATED, event);
    return { orderId: event.orderId, eventId: receipt.messageId };
  }
}
