import { Body, Controller, Get, HttpCode, HttpStatus, NotFoundException, Param, ParseUUIDPipe, Post, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { CreateOrderDto } from './dto/create-order.dto.js';
import { OrdersRepository, type StoredOrder } from './orders.repository.js';
import { Publishes } from '../rabbitmq/index.js';
import { ORDER_CREATED, OrderCreatedEvent } from './events/order-created.event.js';

@Controller('orders')
@Publishes(ORDER_CREATED, OrderCreatedEvent)
export class OrdersController {
  constructor(private readonly orders: OrdersRepository) {}

  /**
   * 202 once the order and its event are committed in PostgreSQL (the outbox): the event cannot
   * be lost and is published when the broker can take it, so this answers while the broker is
   * down. 503 + Retry-After above the outbox's high watermark or while PostgreSQL is unreachable.
   */
  @Post()
  @HttpCode(HttpStatus.ACCEPTED)
  async create(@Body() dto: CreateOrderDto, @Res({ passthrough: true }) reply: FastifyReply): Promise<{ orderId: string; eventId: string }> {
    const created = await this.orders.create(dto);
    void reply.header('Location', `/orders/${created.orderId}`);
    return created;
  }

  /** The order with `eventState`: pending (in the outbox), published, or dead (could not be published). */
  @Get(':id')
  async find(@Param('id', new ParseUUIDPipe()) id: string): Promise<StoredOrder> {
    const order = await this.orders.find(id);
    if (!order) {
      throw new NotFoundException(`no order ${id}`);
    }
    return order;
  }
}
