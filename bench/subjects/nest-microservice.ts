/**
 * The minimal Nest microservice every consumer benchmark runs: ONE controller, ONE handler, and
 * only the transport differs (BENCH_TRANSPORT = warren | nest). Run by the harness as a plain
 * `node` child; it reports over IPC: `ready` (consuming), `status` every second, `done` when
 * BENCH_EXPECT messages were handled (no-op handler), then closes gracefully and exits.
 *
 * env: BENCH_TRANSPORT, BENCH_QUEUE, BENCH_PATTERN (bench.event), BENCH_HANDLER (noop | hung | throw),
 *      BENCH_EXPECT, BENCH_DECLARE_ONLY (declare topology, close, exit),
 *      warren: BENCH_SERVICE, BENCH_EXCHANGE, BENCH_PREFETCH, BENCH_QUEUE_TYPE, BENCH_MAX_MESSAGE_BYTES,
 *              BENCH_MAX_IN_FLIGHT_BYTES
 *      nest:   BENCH_NEST_NOACK, BENCH_NEST_PREFETCH, BENCH_NEST_NO_ASSERT ('unset' = Nest's default)
 */
import 'reflect-metadata';
import { Controller, type DynamicModule, type LogLevel, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Ctx, EventPattern, type MicroserviceOptions, Payload, RmqContext, Transport } from '@nestjs/microservices';
import { HandleEvent, RabbitMQModule } from '../../src/rabbitmq/index.js';
import { createRabbitMicroservice, RabbitServer } from '../../src/rabbitmq/admin.js';
import { AMQP_URL } from '../lib/util.js';
import { closeAndExit, deliveriesSoFar, DrainCount, dieWithHarness, fail, need, optionalBool, optionalInt, tell } from './ipc.js';

dieWithHarness();

const transport = need('BENCH_TRANSPORT');
if (transport !== 'warren' && transport !== 'nest') {
  fail(`BENCH_TRANSPORT must be warren or nest, got ${transport}`);
}
const queue = need('BENCH_QUEUE');
const pattern = process.env.BENCH_PATTERN || 'bench.event';
const hung = (process.env.BENCH_HANDLER || 'noop') === 'hung';
const throwing = process.env.BENCH_HANDLER === 'throw';
const expect = optionalInt('BENCH_EXPECT') ?? Number.POSITIVE_INFINITY;
const declareOnly = optionalBool('BENCH_DECLARE_ONLY') ?? false;
const nestNoAck = optionalBool('BENCH_NEST_NOACK');
const nestPrefetch = optionalInt('BENCH_NEST_PREFETCH');
const nestNoAssert = optionalBool('BENCH_NEST_NO_ASSERT');
/** with the built-in transport and noAck:false the handler acks itself (there is no other way) */
const nestManualAck = transport === 'nest' && nestNoAck === false;
/** warren logs its effective settings (e.g. a capped prefetch) at 'log' level at start-up only */
const logger: LogLevel[] = transport === 'warren' ? ['error', 'warn', 'log'] : ['error', 'warn'];

const count = new DrainCount(expect);
const hang = new Promise<void>(() => undefined);

const handlerDecorator: MethodDecorator =
  transport === 'warren' ? HandleEvent(pattern, { queue, prefetch: optionalInt('BENCH_PREFETCH') }) : (EventPattern(pattern) as MethodDecorator);

@Controller()
class BenchHandler {
  @handlerDecorator
  handle(@Payload() _payload: unknown, @Ctx() context: unknown): Promise<void> | void {
    count.receivedOne();
    if (throwing) {
      // The poison scenario: a downstream that refuses every event.
      throw new Error('downstream refused the event');
    }
    if (hung) {
      // The downstream never answers: the promise never settles, so nothing is ever acked.
      return hang;
    }
    if (nestManualAck && context instanceof RmqContext) {
      const channel = context.getChannelRef() as { ack(message: unknown): void };
      channel.ack(context.getMessage());
    }
    if (count.handledOne()) {
      setImmediate(() => void closeAndExit(app, 0));
    }
  }
}

@Module({})
class BenchModule {
  static register(): DynamicModule {
    const imports =
      transport === 'warren'
        ? [
            RabbitMQModule.forRoot({
              urls: [AMQP_URL],
              serviceName: need('BENCH_SERVICE'),
              exchange: need('BENCH_EXCHANGE'),
              consume: { queueType: process.env.BENCH_QUEUE_TYPE || 'classic', shutdownGraceMs: 5_000 },
              encoding: { maxMessageBytes: optionalInt('BENCH_MAX_MESSAGE_BYTES') },
              // unset (undefined) keeps the library default
              flow: { maxInFlightBytes: optionalInt('BENCH_MAX_IN_FLIGHT_BYTES') },
            } as Parameters<typeof RabbitMQModule.forRoot>[0]),
          ]
        : [];
    return { module: BenchModule, imports, controllers: [BenchHandler] };
  }
}

function nestOptions(): MicroserviceOptions {
  const options: Record<string, unknown> = { urls: [AMQP_URL], queue, queueOptions: { durable: true } };
  if (nestNoAck !== undefined) {
    options.noAck = nestNoAck;
  }
  if (nestPrefetch !== undefined) {
    options.prefetchCount = nestPrefetch;
  }
  if (nestNoAssert !== undefined) {
    options.noAssert = nestNoAssert;
  }
  return { transport: Transport.RMQ, options };
}

let app: Awaited<ReturnType<typeof NestFactory.createMicroservice>> | undefined;

async function main(): Promise<void> {
  app =
    transport === 'warren'
      ? await createRabbitMicroservice(BenchModule.register(), { logger })
      : await NestFactory.createMicroservice<MicroserviceOptions>(BenchModule.register(), { logger, ...nestOptions() });
  await app.listen();
  if (transport === 'warren') {
    await app.get(RabbitServer).waitForConsumers();
  }
  count.ready();
  tell({ type: 'ready', pid: process.pid });
  if (declareOnly) {
    await closeAndExit(app, 0);
    return;
  }
  setInterval(() => tell({ type: 'status', received: count.received, handled: count.handled, deliveries: deliveriesSoFar() }), 1000).unref();
}

process.on('unhandledRejection', (error) => console.error(`unhandled rejection: ${String(error)}`));
main().catch(fail);
