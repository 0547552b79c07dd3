import { randomUUID } from 'node:crypto';
import type { DynamicModule, InjectionToken, LoggerService, LogLevel, ModuleMetadata, Provider, Type } from '@nestjs/common';
import type { INestMicroservice } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { Test, type TestingModule } from '@nestjs/testing';
import type { Options } from 'amqplib';
import { RabbitClient } from '../client/rabbit-client.js';
import { CodecRegistry } from '../codec/codec-registry.js';
import type { Compression } from '../codec/compression.js';
import { MessageEncoder } from '../codec/message-encoder.js';
import type { RabbitMQModuleOptions, ResolvedRabbitMQOptions } from '../options/rabbitmq-options.interface.js';
import { resolveRabbitMQOptions } from '../options/resolve-options.js';
import { buildMessageProperties } from '../publisher/message-properties.js';
import { RabbitPublisher } from '../publisher/rabbit-publisher.js';
import { RABBITMQ_RESOLVED_OPTIONS } from '../rabbitmq.constants.js';
import type { RequestOptions } from '../rpc/rabbit-requester.js';
import { HandlerPlacementCheck } from '../decorators/handler-placement.check.js';
import type { HandlerDefinition } from '../server/handler-registry.js';
import type { HandlerResult, RetryResult } from './handler-result.js';
import { HarnessDelivery } from './harness-delivery.js';
import { inMemoryDelivery } from './in-memory-message.js';
import { InMemoryPublisher } from './in-memory-publisher.js';
import { InMemoryRabbitClient } from './in-memory-rabbit-client.js';
import { InMemoryRequester } from './in-memory-requester.js';
import { InMemoryTransport } from './in-memory-transport.js';
import type { PublishedEvent } from './published-event.js';

/** What to build the harness's Nest testing module from. */
export interface HandlerHarnessConfig {
  /** Handler classes (`@Controller([])` classes with `@HandleEvent` / `@HandleRequest` methods), registered as the module's controllers. */
  handlers?: Type[];
  /** Feature modules to import: their controllers are registered too. Never the app module (it connects to a broker). */
  imports?: ModuleMetadata['imports'];
  /** Providers the handlers need: real ones, or `{ provide, useValue }` fakes of their downstreams. */
  providers?: Provider[];
  /** Replaces providers of imported modules (e.g. a feature module's Mailer) with a value. */
  overrides?: { provide: InjectionToken; useValue: unknown }[];
  /**
   * The library options, as for `RabbitMQModule.forRoot` (`consume.retry`, `consume.handlerTimeoutMs`,
   * `encoding.maxMessageBytes`, `encoding.codecs`, …); `urls` and `serviceName` may be left out (nothing connects).
   * @default the production defaults, serviceName 'harness'
   */
  options?: Partial<RabbitMQModuleOptions>;
  /** Nest log levels, or false for none. @default ['error'] */
  logger?: LoggerService | LogLevel[] | false;
  /**
   * Applies what the app applies to its microservice before it starts (`useGlobalGuards()`,
   * `useGlobalInterceptors()`, `registerPreRequestHook()`…). warren cannot see what it adds, so
   * every handler then runs through Nest's full pipeline, as it would in such an app.
   */
  configure?: (app: INestMicroservice) => void;
}

/** Properties of a message published into the harness, as a producer sets them, plus the codec to encode with. */
export type HarnessPublishProperties = Options.Publish & {
  /** `json`, `msgpack` or a registered content type; defaults to the module's `encoding.codec`. */
  codec?: string;
  compression?: Compression;
};

/** Never dialled: the harness resolves options exactly as production but opens no connection. */
const UNUSED_URL = 'amqp://in-memory.invalid';

/**
 * Runs a feature team's handlers without a broker, through the production delivery pipeline
 * (decode, EventPayloadPipe validation, interceptors, `@Retry` policy, failure classification,
 * timeout), and records what the transport would have done: acked, scheduled for retry (delay and
 * attempt), parked (with `x-error-type` / `x-error-message`), replied (a request handler's value
 * or error, through production's RequestProcessor), and the events handlers published.
 *
 * ```ts
 * const harness = await HandlerHarness.create({ handlers: [InventoryHandler], providers: [StockLedger] });
 * const delivery = await harness.publish('order.created', order);
 * expect(delivery.result.kind).toBe('ack');
 * expect(delivery.published.map((event) => event.pattern)).toEqual(['inventory.reserved']);
 * await expect(harness.request('inventory.stock', { sku: 'sku-1' })).resolves.toEqual({ sku: 'sku-1', available: 98 });
 * await harness.close();
 * ```
 */
export class HandlerHarness {
  private readonly encoder: MessageEncoder;

  private constructor(
    private readonly moduleRef: TestingModule,
    private readonly app: INestMicroservice,
    private readonly transport: InMemoryTransport,
    private readonly requester: InMemoryRequester,
    /** The in-memory publisher behind RabbitClient: its events, and `failWith` to make publishing fail. */
    readonly publisher: InMemoryPublisher,
    /** The options as production resolved them. */
    readonly options: ResolvedRabbitMQOptions,
  ) {
    this.encoder = new MessageEncoder(CodecRegistry.withBuiltins(options.encoding.codecs), options.encoding);
  }

  static async create(config: HandlerHarnessConfig): Promise<HandlerHarness> {
    const options = resolveRabbitMQOptions({ urls: [UNUSED_URL], serviceName: 'harness', ...config.options });
    const publisher = new InMemoryPublisher(options);
    const transport = new InMemoryTransport(options, publisher);
    const requester = new InMemoryRequester(options, transport);
    let builder = Test.createTestingModule({
      imports: [inMemoryRabbitModule(options, publisher, requester), ...(config.imports ?? [])],
      controllers: config.handlers ?? [],
      providers: config.providers ?? [],
    });
    for (const { provide, useValue } of config.overrides ?? []) {
      builder = builder.overrideProvider(provide).useValue(useValue);
    }
    const moduleRef = await builder.compile();
    const app = moduleRef.createNestMicroservice({ strategy: transport, logger: config.logger ?? ['error'] });
    try {
      if (config.configure) {
        config.configure(app);
        await app.init();
      } else {
        // Bound by warren, as connectRabbitServer binds them: a handler with nothing around it is called directly, as in production.
        await transport.bindHandlers(app, () => app.init());
      }
      await app.listen();
    } catch (error) {
      await app.close().catch(() => undefined);
      throw error;
    }
    return new HandlerHarness(moduleRef, app, transport, requester, publisher, options);
  }

  /**
   * Publishes `payload` to the events exchange with routing key `pattern`, as RabbitClient would
   * (encoded with the module's codec, persistent, a fresh messageId), `properties` overriding;
   * resolves once every handler it reached has settled.
   */
  async publish(pattern: string, payload: unknown, properties: HarnessPublishProperties = {}): Promise<HarnessDelivery> {
    const { codec, compression, ...overrides } = properties;
    const encoded = await this.encoder.encode(payload, { codec, compression });
    const defaults = buildMessageProperties({
      pattern,
      contentType: encoded.contentType,
      contentEncoding: encoded.contentEncoding,
      appId: 'harness-producer',
      options: { messageId: randomUUID() },
    });
    return this.publishRaw(pattern, encoded.content, {
      ...defaults,
      ...overrides,
      headers: { ...(defaults.headers as Record<string, unknown>), ...(overrides.headers as Record<string, unknown> | undefined) },
    });
  }

  /** Publishes bytes exactly as given (any content type, no properties but these): what a foreign producer may send. */
  async publishRaw(routingKey: string, body: Buffer | string, properties: Options.Publish = {}): Promise<HarnessDelivery> {
    const message = inMemoryDelivery(this.options.exchange, routingKey, Buffer.isBuffer(body) ? body : Buffer.from(body), properties);
    return this.recording(() => this.transport.deliverToMatching(message));
  }

  /**
   * Asks the `@HandleRequest` / `@MessagePattern` handler of `pattern`, as `RabbitClient.request()`
   * does, and resolves with its reply's value. Rejects as a caller on a broker would:
   * RemoteHandlerError (the handler failed: `remoteType`, `remoteMessage`), RequestTimeoutError (no
   * reply within `timeoutMs`, default `requests.timeoutMs`), RequestNotSentError (no handler of it).
   */
  request<T = unknown>(pattern: string, payload: unknown, options: RequestOptions = {}): Promise<T> {
    return this.requester.request<T>(pattern, payload, options);
  }

  /**
   * The same request, resolving with the delivery record instead: `result.kind` is `replied`, with
   * the `reply` (value or error) as sent, and the events the handler published meanwhile. Waits
   * for the handler however long it runs (its own `timeoutMs` bounds it), not the caller's timeout.
   */
  async deliverRequest(pattern: string, payload: unknown, options: RequestOptions = {}): Promise<HarnessDelivery> {
    return this.recording(async () => [await this.requester.deliver(pattern, payload, options.timeoutMs)]);
  }

  /**
   * Delivers a retry copy back to its handler's queue, as the broker does when the delay of
   * `<queue>.retry.<delay>` has passed (no waiting here).
   */
  async retry(result: RetryResult): Promise<HarnessDelivery> {
    const message = inMemoryDelivery('', result.queue, result.content, result.copy);
    return this.recording(async () => [await this.transport.deliverToQueue(result.queue, message)]);
  }

  /**
   * Follows a result through every retry until it is acked or parked, without waiting the delays.
   * @returns every attempt's result in order, starting with `result` itself (the first attempt, so
   * `[0]` is the `retry` passed in and `.at(-1)` is the settled one: `ack` or `dead-letter`);
   * `result` alone when it was not a retry. Its length is the number of deliveries the handler saw.
   */
  async retryUntilSettled(result: HandlerResult): Promise<HandlerResult[]> {
    const attempts = [result];
    let last = result;
    while (last.kind === 'retry') {
      last = (await this.retry(last)).result;
      attempts.push(last);
    }
    return attempts;
  }

  /** Every event published by handlers so far, oldest first. */
  get published(): readonly PublishedEvent[] {
    return this.publisher.published;
  }

  /** The registered handlers: queue, pattern, handler name, prefetch, timeout, kind (`event` / `request`). */
  handlers(): HandlerDefinition[] {
    return this.transport.definitions();
  }

  /** A provider of the testing module (a fake downstream to assert on, a real service). */
  get<T>(token: Type<T> | InjectionToken): T {
    return this.moduleRef.get<T>(token as Type<T>, { strict: false });
  }

  async close(): Promise<void> {
    await this.app.close();
  }

  private async recording(deliver: () => Promise<HandlerResult[]>): Promise<HarnessDelivery> {
    const before = this.publisher.published.length;
    const results = await deliver();
    return new HarnessDelivery(results, this.publisher.publishedSince(before));
  }
}

/** What RabbitMQModule gives the handlers' modules (options, RabbitClient, the failure-capture interceptor), in memory. */
function inMemoryRabbitModule(options: ResolvedRabbitMQOptions, publisher: InMemoryPublisher, requester: InMemoryRequester): DynamicModule {
  class InMemoryRabbitModule {}
  const providers: Provider[] = [
    { provide: RABBITMQ_RESOLVED_OPTIONS, useValue: options },
    { provide: InMemoryPublisher, useValue: publisher },
    { provide: RabbitPublisher, useValue: publisher },
    { provide: RabbitClient, useValue: new InMemoryRabbitClient(publisher, requester) },
    // As in production: a handler class put in `providers` fails start-up instead of never being called.
    HandlerPlacementCheck,
  ];
  return {
    module: InMemoryRabbitModule,
    global: true,
    imports: [DiscoveryModule],
    providers,
    exports: [RABBITMQ_RESOLVED_OPTIONS, InMemoryPublisher, RabbitPublisher, RabbitClient],
  };
}
