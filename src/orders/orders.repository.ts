import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { AppDatabase } from '../database/app-database.js';
import { unlessDatabaseUnreachable } from '../database/database-unavailable.error.js';
import { Outbox } from '../rabbitmq/index.js';
import type { CreateOrderDto } from './dto/create-order.dto.js';
import { ORDER_CREATED, type OrderCreatedEvent } from './events/order-created.event.js';

/** Where an order's order.created event is: still in the outbox, published (gone from it), or given up on (its dead table). */
export type EventState = 'pending' | 'published' | 'dead';

export interface StoredOrder {
  orderId: string;
  customerId: string;
  items: { sku: string; quantity: number }[];
  createdAt: string;
  eventId: string;
  eventState: EventState;
}

/** Orders in PostgreSQL; each written with its event in one transaction (the outbox). */
@Injectable()
export class OrdersRepository {
  constructor(
    private readonly outbox: Outbox,
    private readonly database: AppDatabase,
  ) {}

  /** Stores the order and its order.created event together: both or neither. The relay publishes the event after the commit. */
  create(dto: CreateOrderDto): Promise<{ orderId: string; eventId: string }> {
    const event: OrderCreatedEvent = {
      orderId: randomUUID(),
      customerId: dto.customerId,
      items: dto.items.map(({ sku, quantity }) => ({ sku, quantity })),
      createdAt: new Date().toISOString(),
    };
    this.database.requireSchema();
    return unlessDatabaseUnreachable(() =>
      this.outbox.transaction(async (tx) => {
        // Keyed by the order: its later events (if any) are published after this one.
        const { messageId } = await this.outbox.publish(tx, ORDER_CREATED, event, { key: event.orderId });
        await tx.query('INSERT INTO orders (id, customer_id, items, event_id, created_at) VALUES ($1, $2, $3::jsonb, $4, $5)', [
          event.orderId,
          event.customerId,
          JSON.stringify(event.items),
          messageId,
          event.createdAt,
        ]);
        return { orderId: event.orderId, eventId: messageId };
      }),
    );
  }

  /** The order and where its event is, or undefined for an unknown id. */
  async find(orderId: string): Promise<StoredOrder | undefined> {
    this.database.requireSchema();
    const { rows } = await unlessDatabaseUnreachable(() =>
      this.database.pool.query<{
        id: string;
        customer_id: string;
        items: StoredOrder['items'];
        created_at: Date;
        event_id: string;
        pending: boolean;
        dead: boolean;
      }>(
        `SELECT o.id, o.customer_id, o.items, o.created_at, o.event_id,
                EXISTS (SELECT 1 FROM warren_outbox WHERE message_id = o.event_id) AS pending,
                EXISTS (SELECT 1 FROM warren_outbox_dead WHERE message_id = o.event_id) AS dead
           FROM orders o WHERE o.id = $1`,
        [orderId],
      ),
    );
    const row = rows[0];
    if (!row) {
      return undefined;
    }
    return {
      orderId: row.id,
      customerId: row.customer_id,
      items: row.items,
      createdAt: row.created_at.toISOString(),
      eventId: row.event_id,
      eventState: row.dead ? 'dead' : row.pending ? 'pending' : 'published',
    };
  }
}
