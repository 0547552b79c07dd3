import type { Logger } from '@nestjs/common';
import type { AmqpConnectionManager, ChannelWrapper } from 'amqp-connection-manager';
import type { Channel, ConsumeMessage } from 'amqplib';
import { redactText } from '../connection/redact-url.js';
import type { FlowControl, FlowPauseReason } from '../flow/flow-control.js';
import { QueueMetrics } from '../metrics/queue-metrics.js';
import type { ConsumeOutcome, RabbitMetrics } from '../metrics/rabbitmq-metrics.js';
import type { KillSwitchOptions, QueueType } from '../options/rabbitmq-options.interface.js';
import type { RabbitPublisher } from '../publisher/rabbit-publisher.js';
import { deadLetterQueueName } from '../topology/topology-names.js';
import { PublishRejectedError } from '../errors/publish.errors.js';
import { TopologyConflictError } from '../errors/topology-conflict.error.js';
import { closeAfterFailedSetup } from '../topology/close-failed-setup.js';
import { type DeclareContext, declareEventsExchange, declareHandlerQueue, declareRetryQueue, type QueueBound } from '../topology/topology.js';
import { AckBatcher } from './ack-batcher.js';
import type { DeliveryOutcome } from './delivery-outcome.js';
import { type DeliveryProcessor, originalRoutingKey } from './delivery-processor.js';
import { failureCopyProperties } from './failure-copy.js';
import type { HandlerDefinition } from './handler-registry.js';
import { KillSwitch, type KillSwitchState } from './kill-switch.js';
import { readRetryCount } from './rabbit-context.js';

export interface QueueConsumerDeps {
  connection: AmqpConnectionManager;
  publisher: RabbitPublisher;
  processor: DeliveryProcessor;
  exchange: string;
  queueType: QueueType;
  deliveryLimit: number;
  /** Scratch channels, where conflicts are reported, and the bounds of leftover queues. */
  topology: DeclareContext & { unroutedBound: QueueBound; deadLetterBound: QueueBound };
  /** True while a topology conflict of the connection stands: its one log line says it all. */
  topologyConflicted: () => boolean;
  killSwitch: Required<KillSwitchOptions>;
  /** Process-wide byte budget and memory / event-loop pauses. */
  flow: Pick<FlowControl, 'acquire' | 'release'>;
  /** Unacked deliveries for this queue: the handler's prefetch, capped by the byte budget. */
  prefetch: number;
  metrics: RabbitMetrics;
  logger: Logger;
}

/** Why a consumer is not taking deliveries. */
export type PauseReason = 'kill-switch' | 'dead-letter-queue-full' | 'shutdown' | FlowPauseReason;

export interface QueueConsumerStatus {
  queue: string;
  prefetch: number;
  /** The channel is open with the topology declared (and the consumer attached unless paused). */
  attached: boolean;
  consuming: boolean;
  pausedFor: PauseReason[];
  killSwitch: KillSwitchState;
  inFlight: number;
  /** Epoch ms of the last settlement, or of when consuming started if nothing was settled since. */
  lastProgressAt: number;
}

/**
 * Consumes one handler queue on its own channel with a bounded prefetch and settles each
 * delivery only after its handler settled: ack on success; on failure the retry or dead-letter
 * copy is published and confirmed first, then the original acked, so no crash can lose it.
 */
export class QueueConsumer {
  private readonly channel: ChannelWrapper;
  /**
   * Bumped whenever the channel is re-created or the consumer stops. Delivery tags belong to
   * one channel: settling a message from an older generation would ack an unrelated message
   * (or kill the channel), so late results of stale deliveries are dropped; the broker
   * redelivers those messages anyway.
   */
  private generation = 0;
  /** Each delivery being handled, with the generation of the channel it came on. */
  private readonly unsettled = new Map<ConsumeMessage, { generation: number; done: Promise<void> }>();
  private readonly settlements: AckBatcher;
  private readonly metrics: QueueMetrics;
  private readonly pauses = new Set<PauseReason>();
  private readonly killSwitch: KillSwitch;
  private readonly declaredRetryQueues = new Map<number, Promise<string>>();
  private consumerTag?: string;
  private attached = false;
  private lastProgressAt = Date.now();
  /** Serializes consume/cancel so pause and resume never race each other. */
  private transition: Promise<unknown> = Promise.resolve();
  private cooldown?: NodeJS.Timeout;
  private stopping?: Promise<void>;

  constructor(
    readonly definition: HandlerDefinition,
    private readonly deps: QueueConsumerDeps,
  ) {
    this.killSwitch = new KillSwitch(deps.killSwitch);
    this.metrics = new QueueMetrics(deps.metrics, definition.queue);
    this.channel = deps.connection.createChannel({
      name: definition.queue,
      confirm: false,
      json: false,
      setup: (channel: Channel) => this.setup(channel),
    });
    this.settlements = new AckBatcher(this.channel);
    // Without a listener, a failed setup would be thrown as an unhandled 'error' event.
    this.channel.on('error', (error: Error) => {
      if (TopologyConflictError.from(error) || deps.topologyConflicted()) {
        return; // reported once per attempt by the connection, with the fix
      }
      deps.logger.error(`channel of ${definition.queue} failed: ${redactText(error.message)}`);
    });
    // 'connect' fires once setup and consumers are in place on a (new) channel.
    this.channel.on('connect', () => (this.attached = true));
    this.channel.on('close', () => (this.attached = false));
  }

  /** Starts consuming. The broker may be down: the consumer then attaches when it is back. */
  start(): Promise<void> {
    return this.updateConsuming();
  }

  /** Resolves once the topology is declared and the consumer registered with the broker. */
  async waitForReady(): Promise<void> {
    await this.transition;
    // consume() returns early while disconnected; 'connect' fires after setup and consumers.
    await this.channel.waitForConnect();
  }

  get inFlight(): number {
    return this.unsettled.size;
  }

  status(): QueueConsumerStatus {
    return {
      queue: this.definition.queue,
      prefetch: this.deps.prefetch,
      attached: this.isAttached(),
      consuming: this.isAttached() && this.consumerTag !== undefined,
      pausedFor: [...this.pauses],
      killSwitch: this.killSwitch.state,
      inFlight: this.unsettled.size,
      lastProgressAt: this.lastProgressAt,
    };
  }

  /** A disconnect emits nothing on the channel wrapper, so the connection is asked as well. */
  private isAttached(): boolean {
    return this.attached && this.deps.connection.isConnected();
  }

  /** Stops taking deliveries (in-flight ones still settle on the open channel). */
  pause(reason: PauseReason): Promise<void> {
    this.pauses.add(reason);
    return this.updateConsuming();
  }

  resume(reason: PauseReason): Promise<void> {
    this.pauses.delete(reason);
    return this.updateConsuming();
  }

  /**
   * Cancels the consumer, lets in-flight handlers finish within `graceMs`, requeues what is
   * left, closes the channel. Safe to call twice.
   */
  stop(graceMs: number): Promise<void> {
    this.stopping ??= this.drain(graceMs);
    return this.stopping;
  }

  private async drain(graceMs: number): Promise<void> {
    clearTimeout(this.cooldown);
    await this.pause('shutdown');
    await waitAtMost(this.whenAllSettled(), graceMs);
    if (this.unsettled.size > 0) {
      this.deps.logger.warn(
        `${this.unsettled.size} message(s) of ${this.definition.queue} still in flight after ${graceMs} ms: requeued`,
      );
      for (const [message, { generation }] of this.unsettled) {
        if (generation === this.generation) {
          this.settlements.nack(message, true);
        }
        this.metrics.settled('requeue');
      }
      this.unsettled.clear();
    }
    this.settlements.flush();
    this.generation += 1;
    try {
      await this.channel.close();
    } catch (error) {
      this.deps.logger.warn(`closing channel of ${this.definition.queue} failed: ${redactText(String(error))}`);
    }
  }

  /** Resolves once nothing is in flight, including deliveries that arrive while waiting. */
  private async whenAllSettled(): Promise<void> {
    while (this.unsettled.size > 0) {
      await Promise.allSettled([...this.unsettled.values()].map((entry) => entry.done));
    }
  }

  /** Consumes when no pause reason holds, cancels otherwise; one transition at a time. */
  private updateConsuming(): Promise<void> {
    const next = this.transition.then(async () => {
      const wanted = this.pauses.size === 0;
      if (wanted && this.consumerTag === undefined) {
        // Prefetch is set in setup(), awaited: given here, amqp-connection-manager would set it
        // without awaiting, and on a connection closing meanwhile that rejection crashes the process.
        const { consumerTag } = await this.channel.consume(this.definition.queue, (message) => this.onMessage(message), {
          noAck: false,
        });
        this.consumerTag = consumerTag;
        this.lastProgressAt = Date.now();
      } else if (!wanted && this.consumerTag !== undefined) {
        const tag = this.consumerTag;
        this.consumerTag = undefined;
        await this.channel.cancel(tag);
      }
    });
    this.transition = next.catch((error: unknown) => {
      this.deps.logger.error(`consumer of ${this.definition.queue} could not change state: ${redactText(String(error))}`);
    });
    return this.transition as Promise<void>;
  }

  private async setup(channel: Channel): Promise<void> {
    this.generation += 1;
    this.settlements.reset();
    this.declaredRetryQueues.clear();
    try {
      // Per consumer (global = false), for the consumers this channel starts from now on.
      await channel.prefetch(this.deps.prefetch, false);
      await declareEventsExchange(channel, this.deps.exchange, this.deps.topology);
      await declareHandlerQueue(
        channel,
        {
          exchange: this.deps.exchange,
          queue: this.definition.queue,
          pattern: this.definition.pattern,
          deliveryLimit: this.deps.deliveryLimit,
          deadLetterBound: this.deps.topology.deadLetterBound,
        },
        this.deps.topology,
      );
    } catch (error) {
      // Closed first, so the channel wrapper does not go on to consume (or prefetch) on it while
      // the connection closes: amqp-connection-manager does not await that prefetch, and its
      // rejection would crash the process. It gets a fresh channel on the next connect.
      await closeAfterFailedSetup(channel);
      const conflict = TopologyConflictError.from(error);
      if (conflict) {
        this.deps.topology.reporter.conflict(conflict);
      }
      throw conflict ?? error;
    }
  }

  private onMessage(message: ConsumeMessage): void {
    if (this.stopping) {
      // Sent by the broker before it processed our cancel: hand it straight back, unprocessed.
      this.settlements.nack(message, true);
      return;
    }
    const generation = this.generation;
    this.settlements.delivered(message);
    const bytes = message.content.length;
    this.deps.flow.acquire(bytes);
    const done = this.handle(message, generation).finally(() => {
      this.unsettled.delete(message);
      this.deps.flow.release(bytes);
    });
    this.unsettled.set(message, { generation, done });
  }

  private async handle(message: ConsumeMessage, generation: number): Promise<void> {
    const startedAt = performance.now();
    const outcome = await this.deps.processor.process(message);
    this.metrics.handled((performance.now() - startedAt) / 1000);
    this.recordForKillSwitch(outcome);
    try {
      await this.settle(message, outcome, generation);
      this.lastProgressAt = Date.now();
      this.metrics.settled(outcome.kind.replace('-', '_') as ConsumeOutcome);
    } catch (error) {
      this.metrics.settled('requeue');
      // Settling failed (broker gone mid-way): the message stays unacked and comes back.
      this.deps.logger.error(`settling a message of ${this.definition.queue} failed: ${redactText(String(error))}`);
    }
  }

  private async settle(message: ConsumeMessage, outcome: DeliveryOutcome, generation: number): Promise<void> {
    if (generation !== this.generation) {
      return; // stale delivery tag: the broker has already requeued this message
    }
    if (outcome.kind !== 'ack') {
      try {
        await this.publishFailureCopy(message, outcome);
      } catch (error) {
        // Neither retried nor parked, so it must not be acked: requeue it; the quorum delivery
        // limit stops a loop if publishing keeps failing.
        if (generation === this.generation) {
          this.settlements.nack(message, true);
        }
        if (outcome.kind === 'dead-letter' && error instanceof PublishRejectedError) {
          this.pauseForFullDeadLetterQueue();
        }
        throw error;
      }
    }
    if (generation === this.generation) {
      this.settlements.ack(message);
    }
  }

  private async publishFailureCopy(message: ConsumeMessage, outcome: Exclude<DeliveryOutcome, { kind: 'ack' }>): Promise<void> {
    const id = message.properties.messageId ?? '(no id)';
    const reason = `${outcome.failure.type}: ${outcome.failure.message}`;
    let target: string;
    let retryCount: number;
    if (outcome.kind === 'retry') {
      target = await this.retryQueue(outcome.delayMs);
      retryCount = outcome.retry;
      this.deps.logger.warn(`retry ${outcome.retry} of message ${id} on ${this.definition.queue} in ${outcome.delayMs} ms: ${reason}`);
    } else {
      target = deadLetterQueueName(this.definition.queue);
      retryCount = readRetryCount(message);
      this.deps.logger.warn(`dead-lettering message ${id} of ${this.definition.queue} after ${retryCount} retries: ${reason}`);
    }
    await this.deps.publisher.publishRaw(
      '',
      target,
      message.content,
      failureCopyProperties(message, outcome.failure, {
        handler: this.definition.handlerName,
        originalRoutingKey: originalRoutingKey(message),
        retryCount,
      }),
    );
  }

  /**
   * The broker refused the dead letter: the DLQ is at its bound (reject-publish). The message
   * went back to its queue; consuming on would only spin it round, so the consumer pauses for
   * the kill switch's cool-down and then tries again. Nothing is dropped meanwhile.
   */
  private pauseForFullDeadLetterQueue(): void {
    if (this.pauses.has('dead-letter-queue-full') || this.stopping) {
      return;
    }
    this.deps.logger.error(
      `${deadLetterQueueName(this.definition.queue)} refuses dead letters (full at its x-max-length): consumer of ${this.definition.queue} ` +
        `paused for ${this.deps.killSwitch.cooldownMs} ms, its messages stay queued; inspect and drain it (npm run dlq -- peek / replay / purge)`,
    );
    void this.pause('dead-letter-queue-full');
    const timer = setTimeout(() => void this.resume('dead-letter-queue-full'), this.deps.killSwitch.cooldownMs);
    timer.unref();
  }

  /** Declares a delay tier the first time it is used (per channel, so after a reconnect too). */
  private retryQueue(delayMs: number): Promise<string> {
    let declared = this.declaredRetryQueues.get(delayMs);
    if (!declared) {
      declared = declareRetryQueue(this.channel, { queue: this.definition.queue, delayMs, queueType: this.deps.queueType });
      declared.catch(() => this.declaredRetryQueues.delete(delayMs));
      this.declaredRetryQueues.set(delayMs, declared);
    }
    return declared;
  }

  /** Only retryable failures count: poison messages say nothing about the downstream. */
  private recordForKillSwitch(outcome: DeliveryOutcome): void {
    if (!this.deps.killSwitch.enabled || (outcome.kind === 'dead-letter' && !outcome.retryable)) {
      return;
    }
    const change = this.killSwitch.record(outcome.kind !== 'ack');
    if (change === 'tripped') {
      this.deps.logger.error(
        `kill switch tripped on ${this.definition.queue}: too many failures; pausing for ${this.deps.killSwitch.cooldownMs} ms`,
      );
      void this.pause('kill-switch');
      clearTimeout(this.cooldown);
      this.cooldown = setTimeout(() => {
        this.killSwitch.startTrial();
        this.deps.logger.warn(`kill switch on ${this.definition.queue}: resuming on trial`);
        void this.resume('kill-switch');
      }, this.deps.killSwitch.cooldownMs);
      this.cooldown.unref();
    } else if (change === 'recovered') {
      this.deps.logger.log(`kill switch on ${this.definition.queue}: recovered`);
    }
  }
}

async function waitAtMost(promise: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([promise, new Promise((resolve) => (timer = setTimeout(resolve, ms)))]);
  clearTimeout(timer);
}
