/**
 * The same minimal consumer on @golevelup/nestjs-rabbitmq 9 (the library most Nest teams pick when they leave the
 * built-in transport): ONE provider with ONE `@RabbitSubscribe` handler on BENCH_QUEUE, everything else at its
 * defaults (prefetch 10 unless BENCH_PREFETCH, errors requeued, JSON bodies). Reports over IPC like the other subjects:
 * `ready`, `status` every second (received = deliveries, handled = returned normally), `done` after BENCH_EXPECT.
 *
 * env: BENCH_QUEUE, BENCH_HANDLER (noop | hung | throw), BENCH_PREFETCH, BENCH_EXPECT,
 *      BENCH_NO_ASSERT (consume a queue declared by someone else, with arguments golevelup would not repeat)
 */
import 'reflect-metadata';
import { Injectable, type LogLevel, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { RabbitMQModule, RabbitSubscribe } from '@golevelup/nestjs-rabbitmq';
import { AMQP_URL } from '../lib/util.js';
import { closeAndExit, deliveriesSoFar, DrainCount, dieWithHarness, fail, need, optionalBool, optionalInt, tell } from './ipc.js';

dieWithHarness();

const queue = need('BENCH_QUEUE');
const mode = process.env.BENCH_HANDLER || 'noop';
const expect = optionalInt('BENCH_EXPECT') ?? Number.POSITIVE_INFINITY;
const prefetch = optionalInt('BENCH_PREFETCH');
const noAssert = optionalBool('BENCH_NO_ASSERT') ?? false;
const logger: LogLevel[] = ['error', 'warn', 'log'];

const count = new DrainCount(expect);
const hang = new Promise<void>(() => undefined);

@Injectable()
class BenchHandler {
  @RabbitSubscribe({ queue, queueOptions: { durable: true }, createQueueIfNotExists: !noAssert })
  handle(): Promise<void> | void {
    count.receivedOne();
    if (mode === 'hung') {
      return hang;
    }
    if (mode === 'throw') {
      throw new Error('downstream refused the event');
    }
    if (count.handledOne()) {
      setImmediate(() => void closeAndExit(app, 0));
    }
  }
}

@Module({
  imports: [
    RabbitMQModule.forRoot({
      uri: AMQP_URL,
      connectionInitOptions: { wait: true, timeout: 30_000 },
      ...(prefetch !== undefined ? { prefetchCount: prefetch } : {}),
    }),
  ],
  providers: [BenchHandler],
})
class BenchModule {}

let app: Awaited<ReturnType<typeof NestFactory.createApplicationContext>> | undefined;

async function main(): Promise<void> {
  app = await NestFactory.createApplicationContext(BenchModule, { logger });
  // Handlers are discovered and consumers started in onApplicationBootstrap, which init() runs.
  await app.init();
  count.ready();
  tell({ type: 'ready', pid: process.pid });
  setInterval(() => tell({ type: 'status', received: count.received, handled: count.handled, deliveries: deliveriesSoFar() }), 1000).unref();
}

process.on('unhandledRejection', (error) => console.error(`unhandled rejection: ${String(error)}`));
main().catch(fail);
