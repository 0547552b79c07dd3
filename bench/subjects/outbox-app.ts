/**
 * The outbox benchmark's subject, the http-app's twin with the transactional outbox on BENCH_DATABASE_URL:
 *  - BENCH_ROLE=http: POST /orders validates the same CreateOrderDto, builds the same event and writes it with
 *    `outbox.publish(tx, 'order.created', event, { key: orderId })` in `outbox.transaction` (the commit wakes the
 *    relay of this process), then answers 202. GET /latency gives the commit-to-confirm latencies since the last
 *    call (commit: the transaction returned; confirm: the relay's `onConfirmed`, after the broker's confirms of
 *    the batch and before the delete) and starts over. Its relay also drains the backlog scenario.
 *  - BENCH_ROLE=inbox: a handler on BENCH_QUEUE claims each order.created in the inbox in its own transaction
 *    (the demo inventory's first step, without the stock update) and says `done` after BENCH_EXPECT of them.
 * env: BENCH_ROLE, BENCH_PORT (http), BENCH_SERVICE, BENCH_EXCHANGE, BENCH_DATABASE_URL, BENCH_QUEUE + BENCH_EXPECT (inbox)
 */
import 'reflect-metadata';
import { randomUUID } from 'node:crypto';
import { Body, Controller, Get, HttpCode, HttpStatus, type LogLevel, Module, Post, ValidationPipe } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { Ctx } from '@nestjs/microservices';
import { CreateOrderDto } from '../../src/orders/dto/create-order.dto.js';
import type { OrderCreatedEvent } from '../../src/orders/events/order-created.event.js';
import { HandleEvent, Inbox, Outbox, RabbitContext, RabbitMQModule } from '../../src/rabbitmq/index.js';
import { createRabbitMicroservice, RabbitConnections, RabbitServer } from '../../src/rabbitmq/admin.js';
import { AMQP_URL } from '../lib/util.js';
import { dieWithHarness, fail, need, tell, tellDone } from './ipc.js';

dieWithHarness();

const role = need('BENCH_ROLE');
const logger: LogLevel[] = ['error', 'warn'];
/** messageId → performance.now() at the commit, until its confirm */
const committedAt = new Map<string, number>();
let latenciesMs: number[] = [];

function confirmed(messageIds: readonly string[]): void {
  const now = performance.now();
  for (const id of messageIds) {
    const at = committedAt.get(id);
    if (at !== undefined) {
      committedAt.delete(id);
      latenciesMs.push(now - at);
    }
  }
}

@Controller('orders')
class OutboxOrdersController {
  constructor(private readonly outbox: Outbox) {}

  @Post()
  @HttpCode(HttpStatus.ACCEPTED)
  async create(@Body() dto: CreateOrderDto): Promise<{ orderId: string; eventId: string }> {
    const event: OrderCreatedEvent = {
      orderId: randomUUID(),
      customerId: dto.customerId,
      items: dto.items.map(({ sku, quantity }) => ({ sku, quantity })),
      createdAt: new Date().toISOString(),
    };
    const { messageId } = await this.outbox.transaction((tx) => this.outbox.publish(tx, 'order.created', event, { key: event.orderId }));
    committedAt.set(messageId, performance.now());
    return { orderId: event.orderId, eventId: messageId };
  }
}

@Controller('latency')
class LatencyController {
  /** The latencies (ms) confirmed since the last call, sorted, and how many commits are still unconfirmed. */
  @Get()
  take(): { sortedMs: number[]; unconfirmed: number } {
    const sortedMs = latenciesMs.sort((a, b) => a - b);
    latenciesMs = [];
    return { sortedMs, unconfirmed: committedAt.size };
  }
}

let handled = 0;
const expected = Number(process.env.BENCH_EXPECT ?? 0);

@Controller()
class InboxHandler {
  constructor(
    private readonly outbox: Outbox,
    private readonly inbox: Inbox,
  ) {}

  @HandleEvent('order.created', { queue: process.env.BENCH_QUEUE ?? 'unused', prefetch: 100 })
  async onOrderCreated(@Ctx() ctx: RabbitContext): Promise<void> {
    await this.outbox.transaction((tx) => this.inbox.claim(tx, ctx));
    if (++handled === expected) {
      tellDone({ handled });
    }
  }
}

const rabbit = RabbitMQModule.forRoot({
  urls: [AMQP_URL],
  serviceName: need('BENCH_SERVICE'),
  exchange: need('BENCH_EXCHANGE'),
  outbox: { database: need('BENCH_DATABASE_URL'), relay: role === 'http', onConfirmed: confirmed },
});

@Module({ imports: [rabbit], controllers: [OutboxOrdersController, LatencyController] })
class HttpModule {}

@Module({ imports: [rabbit], controllers: [InboxHandler] })
class InboxModule {}

async function main(): Promise<void> {
  if (role === 'inbox') {
    const consumer = await createRabbitMicroservice(InboxModule, { logger });
    consumer.enableShutdownHooks();
    await consumer.listen();
    await consumer.get(RabbitServer).waitForConsumers();
    tell({ type: 'ready', pid: process.pid });
    return;
  }
  const app = await NestFactory.create(HttpModule, new FastifyAdapter(), { logger });
  app.useGlobalPipes(new ValidationPipe({ whitelist: true, forbidNonWhitelisted: true, transform: true }));
  app.enableShutdownHooks();
  await app.listen(Number(process.env.BENCH_PORT ?? 0), '127.0.0.1');
  const connections = app.get(RabbitConnections);
  // connected during init already (the outbox opens the publisher at once): waitForConnect would wait for the next connect
  if (!connections.state('publisher').connected) await connections.waitForConnect('publisher', 15_000);
  tell({ type: 'ready', pid: process.pid });
}

main().catch(fail);
