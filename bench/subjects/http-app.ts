/**
 * Minimal HTTP app for the publish benchmark: POST /orders validates the same CreateOrderDto as
 * the demo, builds the same event, publishes it confirmed and persistent, answers 202. Only the
 * publisher differs (BENCH_TRANSPORT):
 *  - nest:   Nest's built-in ClientRMQ, `await lastValueFrom(client.emit('order.created', event))`
 *            to BENCH_QUEUE (durable, persistent: true; its channel is a confirm channel)
 *  - warren: RabbitClient.publish('order.created', event) to BENCH_EXCHANGE (no consumers here)
 *  - golevelup: @golevelup/nestjs-rabbitmq 9 `AmqpConnection.publish('', BENCH_QUEUE, event, { persistent: true })`,
 *            which waits for the broker's confirm (no timeout, no `mandatory`)
 * All on Nest's Fastify adapter (the service's). env: BENCH_TRANSPORT, BENCH_PORT, BENCH_QUEUE (nest, golevelup),
 * BENCH_SERVICE + BENCH_EXCHANGE (warren)
 */
import 'reflect-metadata';
import { randomUUID } from 'node:crypto';
import {
  Body,
  Controller,
  type DynamicModule,
  HttpCode,
  HttpStatus,
  Inject,
  type LogLevel,
  Module,
  type OnApplicationBootstrap,
  Post,
  ValidationPipe,
} from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { type ClientProxy, ClientsModule, Transport } from '@nestjs/microservices';
import { lastValueFrom } from 'rxjs';
import { CreateOrderDto } from '../../src/orders/dto/create-order.dto.js';
import type { OrderCreatedEvent } from '../../src/orders/events/order-created.event.js';
import { RabbitClient, RabbitMQModule } from '../../src/rabbitmq/index.js';
import { RabbitConnections } from '../../src/rabbitmq/admin.js';
import { AmqpConnection, RabbitMQModule as GolevelupModule } from '@golevelup/nestjs-rabbitmq';
import { AMQP_URL } from '../lib/util.js';
import { dieWithHarness, fail, need, tell } from './ipc.js';

dieWithHarness();

const transport = need('BENCH_TRANSPORT');
const ORDERS_CLIENT = 'ORDERS_CLIENT';
const logger: LogLevel[] = ['error', 'warn'];

function orderEvent(dto: CreateOrderDto): OrderCreatedEvent {
  return {
    orderId: randomUUID(),
    customerId: dto.customerId,
    items: dto.items.map(({ sku, quantity }) => ({ sku, quantity })),
    createdAt: new Date().toISOString(),
  };
}

@Controller('orders')
class NestOrdersController implements OnApplicationBootstrap {
  constructor(@Inject(ORDERS_CLIENT) private readonly client: ClientProxy) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.client.connect();
  }

  @Post()
  @HttpCode(HttpStatus.ACCEPTED)
  async create(@Body() dto: CreateOrderDto): Promise<{ orderId: string }> {
    const event = orderEvent(dto);
    await lastValueFrom(this.client.emit('order.created', event), { defaultValue: undefined });
    return { orderId: event.orderId };
  }
}

@Controller('orders')
class WarrenOrdersController {
  constructor(private readonly events: RabbitClient) {}

  @Post()
  @HttpCode(HttpStatus.ACCEPTED)
  async create(@Body() dto: CreateOrderDto): Promise<{ orderId: string; eventId: string }> {
    const event = orderEvent(dto);
    const receipt = await this.events.publish('order.created', event);
    return { orderId: event.orderId, eventId: receipt.messageId };
  }
}

@Controller('orders')
class GolevelupOrdersController {
  constructor(private readonly amqp: AmqpConnection) {}

  @Post()
  @HttpCode(HttpStatus.ACCEPTED)
  async create(@Body() dto: CreateOrderDto): Promise<{ orderId: string }> {
    const event = orderEvent(dto);
    await this.amqp.publish('', need('BENCH_QUEUE'), event, { persistent: true });
    return { orderId: event.orderId };
  }
}

@Module({})
class HttpBenchModule {
  static register(): DynamicModule {
    if (transport === 'golevelup') {
      return {
        module: HttpBenchModule,
        imports: [GolevelupModule.forRoot({ uri: AMQP_URL, connectionInitOptions: { wait: true, timeout: 30_000 } })],
        controllers: [GolevelupOrdersController],
      };
    }
    if (transport === 'nest') {
      return {
        module: HttpBenchModule,
        imports: [
          ClientsModule.register([
            {
              name: ORDERS_CLIENT,
              transport: Transport.RMQ,
              options: { urls: [AMQP_URL], queue: need('BENCH_QUEUE'), queueOptions: { durable: true }, persistent: true },
            },
          ]),
        ],
        controllers: [NestOrdersController],
      };
    }
    return {
      module: HttpBenchModule,
      imports: [
        RabbitMQModule.forRoot({
          urls: [AMQP_URL],
          serviceName: need('BENCH_SERVICE'),
          exchange: need('BENCH_EXCHANGE'),
          consume: { queueType: 'classic' },
        }),
      ],
      controllers: [WarrenOrdersController],
    };
  }
}

async function main(): Promise<void> {
  const module = HttpBenchModule.register();
  const app = await NestFactory.create(module, new FastifyAdapter(), { logger });
  app.useGlobalPipes(new ValidationPipe({ whitelist: true, forbidNonWhitelisted: true, transform: true }));
  app.enableShutdownHooks();
  await app.listen(Number(need('BENCH_PORT')), '127.0.0.1');
  if (transport === 'warren') {
    await app.get(RabbitConnections).waitForConnect('publisher', 15_000);
  }
  tell({ type: 'ready', pid: process.pid });
}

main().catch(fail);
