import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  type CallHandler,
  type CanActivate,
  Controller,
  type ExecutionContext,
  type INestApplication,
  Injectable,
  Module,
  type NestInterceptor,
  type PipeTransform,
  UseGuards,
  UseInterceptors,
  UsePipes,
} from '@nestjs/common';
import { Payload } from '@nestjs/microservices';
import { type Observable, tap } from 'rxjs';
import { HandleEvent, RabbitContext, RabbitMQModule, Retry } from '../src/rabbitmq/index.js';
import { createRabbitMicroservice, currentCorrelationId, deadLetterQueueName, RabbitServer, retryQueueName } from '../src/rabbitmq/admin.js';
import { BrokerProbe, SHARED_AMQP_URL, uniqueNames } from './support/broker.js';
import { removeTopology } from './support/demo-app.js';
import { type ProbeApp, startProbeApp } from './support/probe-app.js';
import { waitFor } from './support/wait-for.js';

/** What each stage of the Nest pipeline saw, in order. */
const trace: string[] = [];

@Injectable()
class TracingInterceptor implements NestInterceptor {
  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const rpc = context.switchToRpc().getContext<RabbitContext>();
    trace.push(`interceptor:before:${rpc.getPattern()}`);
    return next.handle().pipe(tap({ complete: () => trace.push('interceptor:after'), error: () => trace.push('interceptor:error') }));
  }
}

/** Adds a field, so the handler proves it got the pipe's output. */
class StampPipe implements PipeTransform {
  transform(value: unknown): unknown {
    if (value !== null && typeof value === 'object' && !(value instanceof RabbitContext)) {
      trace.push('pipe');
      return { ...value, stamped: true };
    }
    return value;
  }
}

/** Refuses events marked `blocked`: a guard's refusal is a failure the transport must see. */
class BlockGuard implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    trace.push('guard');
    return !(context.switchToRpc().getData<{ blocked?: boolean }>()?.blocked ?? false);
  }
}

@Controller()
class PipelineHandlers {
  readonly seen: { payload: unknown; correlationId?: string }[] = [];

  @HandleEvent('pipeline.traced')
  @UseGuards(BlockGuard)
  @UseInterceptors(TracingInterceptor)
  @UsePipes(new StampPipe())
  @Retry({ attempts: 1, delaysMs: [100] })
  traced(@Payload() payload: { fail?: boolean }): void {
    trace.push('handler');
    this.seen.push({ payload, correlationId: currentCorrelationId() });
    if (payload.fail) {
      throw new Error('handler refused it');
    }
  }
}

/**
 * `@HandleEvent` handlers run no interceptor of warren's on every delivery (FailureCaptureFilter keeps the original
 * error instead): guards, pipes and interceptors a team adds must still run, in Nest's order, and failures of any of
 * them still reach the transport with the handler's `@Retry` policy.
 */
describe('the Nest pipeline of a @HandleEvent handler', () => {
  let probeApp: ProbeApp;
  let broker: BrokerProbe;
  let handlers: PipelineHandlers;
  const queue = (): string => `${probeApp.serviceName}.pipeline.traced`;

  beforeAll(async () => {
    probeApp = await startProbeApp('pipeline', [PipelineHandlers], { consume: { killSwitch: { enabled: false } } });
    handlers = probeApp.app.get(PipelineHandlers);
    broker = await BrokerProbe.open();
  });

  afterAll(async () => {
    await broker?.close();
    if (probeApp) {
      const retry = retryQueueName(queue(), 100);
      await probeApp.dispose();
      const cleanup = await BrokerProbe.open();
      await cleanup.remove({ queues: [retry] });
      await cleanup.close();
    }
  });

  it('runs the guard, the interceptor and the pipe around the handler, with the correlation id in scope', async () => {
    trace.length = 0;
    broker.publish(probeApp.exchange, 'pipeline.traced', JSON.stringify({ n: 1 }), { correlationId: 'req-pipeline-1' });
    await waitFor('the interceptor to complete', () => trace.includes('interceptor:after'), { timeoutMs: 10_000 });
    expect(trace).toEqual(['guard', 'interceptor:before:pipeline.traced', 'pipe', 'handler', 'interceptor:after']);
    expect(handlers.seen.at(-1)).toEqual({ payload: { n: 1, stamped: true }, correlationId: 'req-pipeline-1' });
    await waitFor('the ack', async () => (await broker.ready(queue())) === 0 && probeApp.server.inFlight === 0);
  });

  it('hands a handler failure to the transport through the interceptor, retried per @Retry, then parked with the original error', async () => {
    trace.length = 0;
    handlers.seen.length = 0;
    broker.publish(probeApp.exchange, 'pipeline.traced', JSON.stringify({ fail: true }), { messageId: 'm-pipeline-fail' });
    const parked = await waitFor('the failed message in the DLQ', () => broker.take(deadLetterQueueName(queue())), { timeoutMs: 10_000 });
    expect(handlers.seen).toHaveLength(2); // first delivery + the one retry of @Retry({ attempts: 1 })
    expect(trace.filter((t) => t === 'interceptor:error')).toHaveLength(2);
    expect(parked.properties.headers).toMatchObject({ 'x-error-type': 'Error', 'x-error-message': 'handler refused it', 'x-retry-count': 1 });
    // With no producer correlation id, the messageId stands in.
    expect(handlers.seen[0].correlationId).toBe('m-pipeline-fail');
  });

  it('treats a guard refusal as a failure the transport sees (not an ack)', async () => {
    trace.length = 0;
    handlers.seen.length = 0;
    broker.publish(probeApp.exchange, 'pipeline.traced', JSON.stringify({ blocked: true }));
    const parked = await waitFor('the refused message in the DLQ', () => broker.take(deadLetterQueueName(queue())), { timeoutMs: 10_000 });
    expect(handlers.seen).toHaveLength(0);
    expect(trace).not.toContain('handler');
    expect(parked.properties.headers).toMatchObject({ 'x-error-message': expect.stringContaining('Forbidden') });
  });
});

/** Refuses every event; added with `app.useGlobalGuards()`, which no public API lets warren see. */
class RefuseAllGuard implements CanActivate {
  canActivate(): boolean {
    trace.push('global guard');
    return false;
  }
}

@Controller()
class PlainHandlers {
  readonly seen: unknown[] = [];

  @HandleEvent('pipeline.plain')
  @Retry({ attempts: 0, delaysMs: [] })
  plain(@Payload() payload: unknown): void {
    this.seen.push(payload);
  }
}

describe('a handler with nothing of its own, in an app with a global guard warren cannot see', () => {
  let probeApp: ProbeApp;
  let broker: BrokerProbe;

  beforeAll(async () => {
    // Connected by hand, as an app may: the microservice inherits the app's global guard.
    const refuseAll = (app: INestApplication): unknown => app.useGlobalGuards(new RefuseAllGuard());
    const connect = (app: INestApplication): unknown => app.connectMicroservice({ strategy: app.get(RabbitServer) }, { inheritAppConfig: true });
    probeApp = await startProbeApp('pipeline-global', [PlainHandlers], { consume: { killSwitch: { enabled: false } } }, [], refuseAll, connect);
    broker = await BrokerProbe.open();
  });

  afterAll(async () => {
    await broker?.close();
    await probeApp?.dispose();
  });

  // Were the handler called directly (the check failing open), it would run and the event be acked.
  it('runs the guard: the event is refused and parked, the handler never runs', async () => {
    trace.length = 0;
    broker.publish(probeApp.exchange, 'pipeline.plain', JSON.stringify({ n: 1 }));
    const [queue] = probeApp.server.queues();
    const parked = await waitFor('the refused message in the DLQ', () => broker.take(deadLetterQueueName(queue)), { timeoutMs: 10_000 });
    expect(parked.properties.headers).toMatchObject({ 'x-error-message': expect.stringContaining('Forbidden') });
    expect(trace).toEqual(['global guard']);
    expect(probeApp.app.get(PlainHandlers).seen).toEqual([]);
  });
});

describe('createRabbitMicroservice: a service with no HTTP app', () => {
  it('binds the handlers and consumes once listening', async () => {
    const names = uniqueNames('pipeline-standalone');
    @Module({
      imports: [RabbitMQModule.forRoot({ urls: [SHARED_AMQP_URL], ...names, consume: { killSwitch: { enabled: false } } })],
      controllers: [PlainHandlers],
    })
    class StandaloneModule {}
    const app = await createRabbitMicroservice(StandaloneModule, { logger: ['error'] });
    const server = app.get(RabbitServer);
    const broker = await BrokerProbe.open();
    try {
      await app.listen();
      await server.waitForConsumers();
      broker.publish(names.exchange, 'pipeline.plain', JSON.stringify({ n: 2 }));
      await waitFor('the handler to run', () => app.get(PlainHandlers).seen.length === 1, { timeoutMs: 10_000 });
      expect(app.get(PlainHandlers).seen).toEqual([{ n: 2 }]);
    } finally {
      await broker.close();
      const queues = server.queues();
      await app.close();
      await removeTopology(names.exchange, queues);
    }
  });
});
