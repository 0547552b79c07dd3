/**
 * Smoke measure of tracing's cost on the consume path: CPU per 1,000 messages drained by warren
 * with a no-op handler, with no OpenTelemetry SDK registered and with one (tracer provider, W3C
 * propagators, async-hooks context manager, batch span processor, an exporter that drops the
 * spans: the SDK's work without the network). Each round pre-fills the handler queue with N
 * 1 KB messages carrying a `traceparent` (as a traced producer's would), then starts a fresh
 * app; CPU is counted from the first handled message to the N-th. Rounds alternate
 * off/on after a warm-up, in one process.
 *
 * `npx tsc -p bench/tsconfig.json && node bench/.build/bench/tracing-overhead.js`; env
 * TRACE_BENCH_N (default 20000), TRACE_BENCH_ROUNDS (default 2 per mode).
 */
import 'reflect-metadata';
import { randomBytes } from 'node:crypto';
import { Controller, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Payload } from '@nestjs/microservices';
import { context, propagation, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { CompositePropagator, ExportResultCode, W3CBaggagePropagator, W3CTraceContextPropagator } from '@opentelemetry/core';
import { BatchSpanProcessor, type ReadableSpan, type SpanExporter, TracerProvider } from '@opentelemetry/sdk-trace';
import amqp from 'amqplib';
import { connectRabbitServer, deadLetterQueueName, RabbitServer, unroutedExchangeName, unroutedQueueName } from '../src/rabbitmq/admin.js';
import { HandleEvent, RabbitMQModule } from '../src/rabbitmq/index.js';

const AMQP_URL = process.env.AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672';
const N = Number(process.env.TRACE_BENCH_N ?? 20_000);
const ROUNDS = Number(process.env.TRACE_BENCH_ROUNDS ?? 2);
const PATTERN = 'bench.traced';
const suffix = randomBytes(4).toString('hex');
const SERVICE = `trace-bench-${suffix}`;
const EXCHANGE = `trace-bench-${suffix}.events`;
const QUEUE = `${SERVICE}.drain`;

let handled = 0;
let cpuAtFirst: NodeJS.CpuUsage | undefined;
let done: ((cpu: NodeJS.CpuUsage) => void) | undefined;

@Controller()
class NoopHandler {
  @HandleEvent(PATTERN, { queue: QUEUE, prefetch: 100 })
  handle(@Payload() _event: unknown): void {
    handled += 1;
    if (handled === 1) cpuAtFirst = process.cpuUsage();
    if (handled === N) done?.(process.cpuUsage(cpuAtFirst));
  }
}

@Module({
  imports: [
    RabbitMQModule.forRoot({ urls: [AMQP_URL], serviceName: SERVICE, exchange: EXCHANGE, queueType: 'classic', maxInFlightBytes: 100 * 256 * 1024 }),
  ],
  controllers: [NoopHandler],
})
class BenchModule {}

async function startApp() {
  const app = await NestFactory.create(BenchModule, { logger: ['error', 'warn'] });
  connectRabbitServer(app);
  await app.startAllMicroservices();
  await app.init();
  await app.get(RabbitServer).waitForConsumers();
  return app;
}

async function fill(connection: amqp.ChannelModel): Promise<void> {
  const channel = await connection.createConfirmChannel();
  const body = Buffer.from(JSON.stringify({ data: 'x'.repeat(1000) }));
  for (let i = 0; i < N; i += 1) {
    const headers = { traceparent: `00-${randomBytes(16).toString('hex')}-${randomBytes(8).toString('hex')}-01` };
    if (!channel.publish(EXCHANGE, PATTERN, body, { contentType: 'application/json', persistent: true, headers })) {
      await new Promise((resolve) => channel.once('drain', resolve));
    }
  }
  await channel.waitForConfirms();
  await channel.close();
}

async function drainOnce(connection: amqp.ChannelModel): Promise<number> {
  handled = 0;
  const finished = new Promise<NodeJS.CpuUsage>((resolve) => (done = resolve));
  await fill(connection);
  const app = await startApp();
  const cpu = await finished;
  await app.close();
  return ((cpu.user + cpu.system) / 1000 / N) * 1000; // CPU ms per 1,000 messages
}

/** What NodeSDK registers, with an exporter that drops the spans (no network in the measure). */
function registerSdk(): () => Promise<void> {
  let exported = 0;
  const exporter: SpanExporter = {
    export: (spans: ReadableSpan[], callback) => {
      exported += spans.length;
      callback({ code: ExportResultCode.SUCCESS });
    },
    shutdown: () => Promise.resolve(),
  };
  const provider = new TracerProvider({ spanProcessors: [new BatchSpanProcessor({ exporter })] });
  trace.setGlobalTracerProvider(provider);
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  propagation.setGlobalPropagator(new CompositePropagator({ propagators: [new W3CTraceContextPropagator(), new W3CBaggagePropagator()] }));
  return async () => {
    await provider.forceFlush();
    console.log(`  (${exported} spans exported)`);
    await provider.shutdown();
    trace.disable();
    context.disable();
    propagation.disable();
  };
}

async function main(): Promise<void> {
  // The first app declares the exchange, the queue and its binding.
  await (await startApp()).close();
  const connection = await amqp.connect(AMQP_URL);
  const results: Record<'off' | 'on', number[]> = { off: [], on: [] };
  try {
    console.log(`warm-up: ${(await drainOnce(connection)).toFixed(1)} ms CPU / 1,000 messages`);
    for (let round = 0; round < ROUNDS; round += 1) {
      results.off.push(await drainOnce(connection));
      console.log(`no SDK:  ${results.off.at(-1)!.toFixed(1)} ms CPU / 1,000 messages`);
      const unregister = registerSdk();
      results.on.push(await drainOnce(connection));
      console.log(`SDK on:  ${results.on.at(-1)!.toFixed(1)} ms CPU / 1,000 messages`);
      await unregister();
    }
  } finally {
    const channel = await connection.createChannel();
    for (const queue of [QUEUE, deadLetterQueueName(QUEUE), unroutedQueueName(EXCHANGE)]) await channel.deleteQueue(queue);
    for (const exchange of [EXCHANGE, unroutedExchangeName(EXCHANGE)]) await channel.deleteExchange(exchange);
    await connection.close();
  }
  const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
  console.log(
    `N=${N}, ${ROUNDS} round(s): no SDK ${median(results.off).toFixed(1)} ms, SDK on ${median(results.on).toFixed(1)} ms CPU per 1,000 messages (× ${(median(results.on) / median(results.off)).toFixed(2)})`,
  );
}

await main();
