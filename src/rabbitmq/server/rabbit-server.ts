import { Inject, Injectable, type INestApplicationContext, Logger } from '@nestjs/common';
import { type CustomTransportStrategy, type MessageHandler, Server } from '@nestjs/microservices';
import { MessageDecoder } from '../codec/message-decoder.js';
import { RabbitConnections } from '../connection/rabbit-connections.js';
import { FlowControl, type FlowStatus } from '../flow/flow-control.js';
import { RabbitMetrics } from '../metrics/rabbitmq-metrics.js';
import type { ResolvedRabbitMQOptions } from '../options/rabbitmq-options.interface.js';
import { RabbitPublisher } from '../publisher/rabbit-publisher.js';
import { RABBITMQ_RESOLVED_OPTIONS } from '../rabbitmq.constants.js';
import { deadLetterBound, requestQueueBound, unroutedBound } from '../topology/leftover-bounds.js';
import { DeliveryProcessor } from './delivery-processor.js';
import { type HandlerDefinition, HandlerRegistry } from './handler-registry.js';
import { PerMessageLog } from '../logging/per-message-log.js';
import { ReplyPublisher } from '../rpc/reply-publisher.js';
import { RequestProcessor } from '../rpc/request-processor.js';
import { declareRequestQueue } from '../topology/topology.js';
import { deadLetterQueueName, retryQueueName, unroutedQueueName } from '../topology/topology-names.js';
import type { TopologyReporter } from '../topology/topology-reporter.js';
import type { Channel } from 'amqplib';
import { QueueConsumer, type QueueConsumerStatus } from './queue-consumer.js';
import { PartitionBalancer } from './partition-balancer.js';
import { partitionDefinitions, partitionQueues } from './partition-plan.js';
import { PartitionRouter } from './partition-router.js';

/**
 * The Nest transport strategy: attach it with `connectRabbitServer(app)` (or, without an HTTP app,
 * `createRabbitMicroservice(module)`), which lets handlers be called directly. Each `@HandleEvent` /
 * `@EventPattern` handler gets its own queue and consumer; see QueueConsumer for settlement.
 */
@Injectable()
export class RabbitServer extends Server implements CustomTransportStrategy {
  /** Lets handler failures reach the transport instead of being only logged by Nest. */
  override readonly propagatesEventHandlerErrors = true;
  protected override readonly logger = new Logger(RabbitServer.name);
  private readonly registry: HandlerRegistry;
  private readonly decoder: MessageDecoder;
  private consumers: QueueConsumer[] = [];
  /** One per handler ordered by key: spreads its partitions over the replicas. */
  private balancers: PartitionBalancer[] = [];
  /** Sends the replies of request handlers on the `replies` connection; made only if there is one. */
  private replies?: ReplyPublisher;
  private readonly flow: FlowControl;
  private closing?: Promise<void>;

  constructor(
    @Inject(RABBITMQ_RESOLVED_OPTIONS) private readonly options: ResolvedRabbitMQOptions,
    private readonly connections: RabbitConnections,
    private readonly publisher: RabbitPublisher,
    private readonly metrics: RabbitMetrics,
  ) {
    super();
    this.registry = HandlerRegistry.fromOptions(options);
    this.decoder = MessageDecoder.forConsuming(options.encoding);
    this.flow = new FlowControl(
      {
        maxInFlightBytes: options.flow.maxInFlightBytes,
        memoryHighWatermarkBytes: options.flow.memoryHighWatermarkBytes,
        memoryLowWatermarkBytes: options.flow.memoryLowWatermarkBytes,
        memoryMeasure: options.flow.memoryMeasure,
        eventLoopDelayLimitMs: options.flow.eventLoopDelayLimitMs,
        checkIntervalMs: options.flow.checkIntervalMs,
      },
      this.logger,
      (reason, paused) => {
        for (const consumer of this.consumers) {
          void (paused ? consumer.pause(reason) : consumer.resume(reason));
        }
      },
    );
  }

  /**
   * Called by Nest once per handler. Nest would chain handlers of one pattern into a single
   * delivery; we keep each apart, with its own queue.
   */
  override addHandler(pattern: unknown, callback: MessageHandler, isEventHandler = false, extras: Record<string, unknown> = {}): void {
    // A @MessagePattern handler answers requests: its result is the reply (see RequestProcessor).
    this.registry.addNestHandler(this.normalizePattern(pattern as string), callback, isEventHandler, extras);
  }

  /** Has Nest bind this transport's handlers in `bind`, knowing what warren can know of `app` (HandlerRegistry.bindHandlers). */
  bindHandlers<T>(app: INestApplicationContext, bind: () => T): T {
    return this.registry.bindHandlers(app, bind);
  }

  /**
   * Starts one consumer per handler. It does not wait for the broker: a service whose broker is
   * down still starts (and reports not ready); consumers attach as soon as it is reachable.
   */
  listen(callback: (error?: unknown) => void): void {
    try {
      // A handler ordered by key: its queue's consumer is the router, and each partition gets a consumer of its own.
      this.consumers = this.registry.all().flatMap((definition) => [definition, ...partitionDefinitions(definition)].map((d) => this.consumerOf(d)));
      this.balancers = this.registry
        .all()
        .filter((definition) => definition.partitioning)
        .map((definition) => {
          const partitions = this.consumers.filter((consumer) => consumer.definition.partitionOf?.handlerQueue === definition.queue);
          return new PartitionBalancer(definition.queue, partitions, this.connections.get('consumer'), this.logger);
        });
      this.flow.start();
      for (const balancer of this.balancers) balancer.start();
      for (const consumer of this.consumers) {
        consumer.start().catch((error: unknown) => {
          this.logger.error(`consumer of ${consumer.definition.queue} could not start: ${String(error)}`);
        });
      }
      this.logger.log(`consuming ${this.consumers.map((c) => c.definition.queue).join(', ') || 'no queues'}`);
      for (const { queue, pipelineReason } of this.registry.all()) {
        // Nothing wrong: Nest's pipeline only costs more CPU per message (docs/performance.md).
        if (pipelineReason !== undefined) {
          this.logger.debug(`handler of ${queue} runs through Nest's pipeline: ${pipelineReason}`);
        }
      }
      callback();
    } catch (error) {
      callback(error);
    }
  }

  private consumerOf(definition: HandlerDefinition): QueueConsumer {
    return new QueueConsumer(definition, {
      connection: this.connections.get('consumer'),
      publisher: this.publisher,
      processor: this.processorOf(definition),
      ...(definition.kind === 'request'
        ? {
            declareQueue: () =>
              declareRequestQueue(definition.queue, {
                ...this.topologyContext(),
                queueType: this.options.consume.queueType,
                bound: requestQueueBound(this.options),
              }),
          }
        : {}),
      ...(definition.partitioning
        ? {
            handling: (metrics) =>
              new PartitionRouter(definition, { decoder: this.decoder, publisher: this.publisher, metrics, logger: this.logger }),
          }
        : {}),
      exchange: this.options.exchange,
      queueType: definition.queueType,
      deliveryLimit: this.options.consume.deliveryLimit,
      topology: {
        scratch: this.connections.scratchChannel('consumer'),
        reporter: this.connections.reporter('consumer'),
        queueType: definition.queueType,
        unroutedBound: unroutedBound(this.options),
        deadLetterBound: deadLetterBound(this.options),
      },
      topologyConflicted: () => this.connections.topologyConflict('consumer') !== undefined,
      onAttached: () => {
        if (this.consumers.every((consumer) => consumer.status().attached)) {
          this.connections.channelsReady('consumer');
        }
      },
      killSwitch: this.options.consume.killSwitch,
      flow: this.flow,
      prefetch: this.cappedPrefetch(definition.prefetch, definition.queue),
      maxMessageBytes: this.options.encoding.maxMessageBytes,
      metrics: this.metrics,
      logger: this.logger,
    });
  }

  /** Events get settled by their outcome; requests get a reply and are acked (RequestProcessor). */
  private processorOf(definition: HandlerDefinition): Pick<DeliveryProcessor, 'process'> {
    const processor = new DeliveryProcessor(definition, this.decoder);
    if (definition.kind !== 'request') {
      return processor;
    }
    this.replies ??= new ReplyPublisher(this.connections, this.options.publish.timeoutMs);
    return new RequestProcessor({
      processor,
      replies: this.replies,
      log: new PerMessageLog(this.logger),
      countDropped: (reason) => this.metrics.repliesDropped.inc({ reason }),
      queue: definition.queue,
      allowedReplyQueues: new Set(this.options.requests.allowedReplyQueues),
      maxMessageBytes: this.options.encoding.maxMessageBytes,
    });
  }

  private topologyContext(): { scratch: () => Promise<Channel>; reporter: TopologyReporter } {
    return { scratch: this.connections.scratchChannel('consumer'), reporter: this.connections.reporter('consumer') };
  }

  /** Resolves once every handler queue is declared and its consumer attached. */
  async waitForConsumers(): Promise<void> {
    await Promise.all(this.consumers.map((consumer) => consumer.waitForReady()));
  }

  /** Process-wide flow state (paused, reasons, bytes in flight, RSS, loop delay). */
  flowStatus(): FlowStatus {
    return this.flow.status();
  }

  /** Queues this server consumes (a handler ordered by key: its queue and its partitions), for health checks and operators. */
  queues(): string[] {
    return this.registry.all().flatMap((definition) => [definition, ...partitionDefinitions(definition)].map((d) => d.queue));
  }

  /** The exchange, the service and its registered handlers: what the event catalogue (catalogue/) describes. */
  describeHandlers(): { exchange: string; serviceName: string; handlers: readonly HandlerDefinition[] } {
    return { exchange: this.options.exchange, serviceName: this.options.serviceName, handlers: this.registry.all() };
  }

  /** Queues of event handlers, each with its `<queue>.dlq` (request queues have none). */
  eventQueues(): string[] {
    return this.registry
      .all()
      .filter((definition) => definition.kind === 'event')
      .map((definition) => definition.queue);
  }

  /**
   * Every queue this server declares or may declare: handler and request queues, each event
   * queue's DLQ and the retry queues of its policy (declared on first use; none for an ordered
   * handler, which retries in place), and the exchange's unrouted queue. What a test or an operator
   * deletes to remove the service's topology.
   */
  declaredQueues(): string[] {
    const queues = this.registry
      .all()
      .flatMap((definition) =>
        definition.kind === 'request'
          ? [definition.queue]
          : [
              definition.queue,
              deadLetterQueueName(definition.queue),
              ...(definition.ordered ? [] : definition.retryPolicy.delaysMs.map((delayMs) => retryQueueName(definition.queue, delayMs))),
              ...partitionQueues(definition),
            ],
      );
    return [...new Set([...queues, unroutedQueueName(this.options.exchange)])];
  }

  /** Per-queue consumer state (paused, kill switch, in flight), for health and metrics. */
  consumerStatus(): QueueConsumerStatus[] {
    return this.consumers.map((consumer) => consumer.status());
  }

  /** Messages being handled right now, across all queues. */
  get inFlight(): number {
    return this.consumers.reduce((sum, consumer) => sum + consumer.inFlight, 0);
  }

  /** Graceful stop: cancel consumers, wait for in-flight (bounded), requeue the rest. Safe twice. */
  close(): Promise<void> {
    this.closing ??= Promise.allSettled([
      ...this.balancers.map((balancer) => balancer.stop()),
      ...this.consumers.map((consumer) => consumer.stop(this.options.consume.shutdownGraceMs)),
    ])
      .then(() => this.flow.stop())
      // After the consumers: the requests still in flight while they drained were answered on it.
      .then(() => this.replies?.close());
    return this.closing;
  }

  /**
   * Prefetch bounds the count of unacked messages, not their bytes: 50 × 4 MB is 200 MB. Each
   * queue's prefetch is capped so that, with every queue's window full of messages of the
   * maximum size, the total still fits the byte budget.
   */
  private cappedPrefetch(prefetch: number, queue: string): number {
    // Every queue can fill its window at once: the budget is shared between them. A partition queue
    // (ordered by key) holds one message: its slot is set aside first, the rest shared by the handler queues.
    const handlerQueues = this.registry.all().length;
    const partitionSlots = this.queues().length - handlerQueues;
    const perQueue = (this.options.flow.maxInFlightBytes / this.options.encoding.maxMessageBytes - partitionSlots) / Math.max(1, handlerQueues);
    const fits = Math.max(1, Math.floor(perQueue));
    if (prefetch > fits) {
      this.logger.log(
        `prefetch of ${queue} lowered from ${prefetch} to ${fits}: ${handlerQueues} queue(s) × ${fits} messages of the maximum size ` +
          `(maxMessageBytes) fit maxInFlightBytes; raise maxInFlightBytes or lower maxMessageBytes to keep ${prefetch}`,
      );
      return fits;
    }
    return prefetch;
  }

  on(): never {
    throw new Error('RabbitServer does not expose broker events; use RabbitConnections.state() instead');
  }

  unwrap<T>(): T {
    return this.connections.get('consumer') as T;
  }
}
