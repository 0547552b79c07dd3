import type { Logger } from '@nestjs/common';
import type { AmqpConnectionManager, ChannelWrapper } from 'amqp-connection-manager';
import type { Channel, ConsumeMessage } from 'amqplib';
import { redactText } from '../logging/redact-url.js';
import { TopologyConflictError } from '../errors/topology-conflict.error.js';
import { AdaptivePrefetch } from '../flow/adaptive-prefetch.js';
import type { FlowControl } from '../flow/flow-control.js';
import { QueueMetrics } from '../metrics/queue-metrics.js';
import type { RabbitMetrics } from '../metrics/rabbitmq-metrics.js';
import type { KillSwitchOptions, QueueType } from '../options/rabbitmq-options.interface.js';
import type { RabbitPublisher } from '../publisher/rabbit-publisher.js';
import { guardedSetup } from '../topology/guarded-setup.js';
import { type DeclareContext, declareEventsExchange, declareHandlerQueue, type QueueBound } from '../topology/topology.js';
import { ChannelAcknowledger, type Delivery } from './channel-acknowledger.js';
import type { DeliveryProcessor } from './delivery-processor.js';
import type { DeliveryHandling } from './delivery-handling.js';
import { DeliverySettler } from './delivery-settler.js';
import { FailedMessageKeeper } from './failed-message-keeper.js';
import type { HandlerDefinition } from './handler-registry.js';
import { parkingQueueOf, partitionDefinitions } from './partition-plan.js';
import type { PauseReason, QueueConsumerStatus } from './queue-consumer-status.js';

export type { PauseReason, QueueConsumerStatus } from './queue-consumer-status.js';

export interface QueueConsumerDeps {
  connection: AmqpConnectionManager;
  publisher: RabbitPublisher;
  processor: Pick<DeliveryProcessor, 'process'>;
  exchange: string;
  queueType: QueueType;
  deliveryLimit: number;
  /** Scratch channels, where conflicts are reported, and the bounds of leftover queues. */
  topology: DeclareContext & { unroutedBound: QueueBound; deadLetterBound: QueueBound };
  /** True while a topology conflict of the connection stands: its one log line says it all. */
  topologyConflicted: () => boolean;
  /** Called each time this queue's channel is set up and its consumer attached on a connection. */
  onAttached?: () => void;
  killSwitch: Required<KillSwitchOptions>;
  /** Process-wide byte budget and memory / event-loop pauses. */
  flow: Pick<FlowControl, 'acquire' | 'release'>;
  /** Most unacked deliveries for this queue: the handler's prefetch, capped by the byte budget. */
  prefetch: number;
  /** Bodies over this size close the prefetch window to 1 (see AdaptivePrefetch). */
  maxMessageBytes: number;
  metrics: RabbitMetrics;
  logger: Logger;
  /** Declares the queue instead of the events exchange + handler queue + DLQ (request queues). */
  declareQueue?: (channel: Channel) => Promise<void>;
  /** Handles deliveries instead of a DeliverySettler (the partition router of a handler ordered by key). */
  handling?: (metrics: QueueMetrics) => DeliveryHandling;
}

/**
 * Consumes one handler queue on its own channel: declares its topology, starts and cancels the
 * consumer (pauses, the prefetch window), accounts the bytes in flight, drains on stop. Each
 * delivery goes to the DeliverySettler with the acknowledger of the channel it came on.
 */
export class QueueConsumer {
  private readonly channel: ChannelWrapper;
  /** Settles what this consumer receives, on the channel it came on (or forwards it: PartitionRouter). */
  private readonly settler: DeliveryHandling;
  /** The acknowledger of the current channel; deliveries keep the one they came with. */
  private acknowledger?: ChannelAcknowledger;
  /** Each delivery being handled, until its handler settled. */
  private readonly unsettled = new Map<Delivery, Promise<void>>();
  private readonly metrics: QueueMetrics;
  private readonly pauses = new Set<PauseReason>();
  private readonly keeper: FailedMessageKeeper;
  private consumerTag?: string;
  /** The amqplib channel under the wrapper, as of the last setup: prefetch is set on it, awaited. */
  private rawChannel?: Channel;
  private readonly window: AdaptivePrefetch;
  /** Prefetch of the live consumer; 0 while there is none. */
  private consumedWith = 0;
  /** The window the live consumer was started for. */
  private consumedFor = 0;
  /** The consumer has less than the window (or none while wanted): look again once nothing is in flight. */
  private needsRoom = false;
  private attached = false;
  /** Serializes consume/cancel so pause and resume never race each other. */
  private transition: Promise<unknown> = Promise.resolve();
  private stopping?: Promise<void>;
  /** Ordered (single active consumer): a delivery came since it subscribed (holdsQueue); a hand-off or a pause waits
   * for the settlement of the message in hand (handOff), and settlingInHand is set while it cancels there. */
  private active = false;
  private handoffWanted = false;
  private cancelDeferred = false;
  private settlingInHand = false;

  constructor(
    readonly definition: HandlerDefinition,
    private readonly deps: QueueConsumerDeps,
  ) {
    this.window = new AdaptivePrefetch(deps.prefetch, deps.maxMessageBytes);
    this.metrics = new QueueMetrics(deps.metrics, definition.queue);
    this.keeper = new FailedMessageKeeper(definition, deps);
    this.settler =
      deps.handling?.(this.metrics) ??
      new DeliverySettler(definition, {
        processor: deps.processor,
        keeper: this.keeper,
        killSwitch: deps.killSwitch,
        metrics: this.metrics,
        logger: deps.logger,
        consumer: this,
      });
    this.channel = deps.connection.createChannel({
      name: definition.queue,
      confirm: false,
      json: false,
      setup: (channel: Channel) => this.setup(channel),
    });
    // Without a listener, a failed setup would be thrown as an unhandled 'error' event.
    this.channel.on('error', (error: Error) => {
      if (TopologyConflictError.from(error) || deps.topologyConflicted()) {
        return; // reported once per attempt by the connection, with the fix
      }
      deps.logger.error(`channel of ${definition.queue} failed: ${redactText(error.message)}`);
    });
    // 'connect' fires once setup and consumers are in place on a (new) channel.
    this.channel.on('connect', () => {
      this.attached = true;
      deps.onAttached?.();
    });
    this.channel.on('close', () => (this.attached = false));
    // Attached to that connection only: after a reconnect it counts again once set up anew.
    deps.connection.on('disconnect', () => (this.attached = false));
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
      window: this.window.current,
      consumerPrefetch: this.consumedWith,
      attached: this.isAttached(),
      consuming: this.isAttached() && this.consumerTag !== undefined,
      pausedFor: [...this.pauses],
      killSwitch: this.settler.killSwitchState,
      inFlight: this.unsettled.size,
      running: this.settler.running,
      ordered: this.definition.ordered,
      holding: this.holdsQueue,
      deadLetterQueue: this.definition.kind === 'request' ? undefined : parkingQueueOf(this.definition),
      lastProgressAt: this.settler.lastProgressAt,
    };
  }

  /** A delivery came since it subscribed: the evidence (3.10 tells nothing else) that it is a SAC queue's active consumer. */
  get holdsQueue(): boolean {
    return this.active && this.consumerTag !== undefined;
  }

  /** Asks an ordered consumer to hand its queue to a standby replica once the message in hand is handled (PartitionBalancer). */
  requestHandoff(wanted: boolean): void {
    this.handoffWanted = wanted;
  }

  /** See PausableConsumer.handOff: cancels before the handled message is settled, subscribes again after. */
  handOff(): Promise<() => void> | undefined {
    if (this.stopping || (!this.handoffWanted && !this.cancelDeferred)) {
      return undefined;
    }
    const handoff = this.handoffWanted;
    this.handoffWanted = false;
    this.cancelDeferred = false;
    this.settlingInHand = true;
    return (handoff ? this.pause('handoff') : this.updateConsuming()).then(() => {
      this.settlingInHand = false;
      if (!handoff) return () => undefined; // a pause: consuming resumes when its reason clears
      this.active = false;
      return () => void this.resume('handoff');
    });
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

  /**
   * An ordered (single-active-consumer) queue is left by closing the channel, never by cancelling: on 3.10 a cancel
   * activates a standby with the next message while the one in hand is unacked; a close returns it to the front and
   * activates the standby in one step. Deliveries arriving meanwhile are held unhandled (onMessage) and return with it.
   */
  private async drain(graceMs: number): Promise<void> {
    const { ordered } = this.definition;
    this.settler.stop();
    if (!ordered) await this.pause('shutdown');
    await waitAtMost(this.whenAllSettled(), graceMs);
    this.pauses.add('shutdown'); // an ordered consumer ends with the channel's close below
    if (this.unsettled.size > 0) {
      this.deps.logger.warn(`${this.unsettled.size} message(s) of ${this.definition.queue} still in flight after ${graceMs} ms: requeued`);
      for (const { message, acknowledger } of this.unsettled.keys()) {
        if (!ordered) acknowledger.nack(message, true); // nothing if its channel is gone: the broker requeued it then
        this.metrics.settled('requeue');
      }
      this.unsettled.clear();
    }
    this.acknowledger?.flush();
    // Late results of the handlers still running are dropped: their deliveries were requeued above.
    this.acknowledger?.retire();
    try {
      await this.channel.close();
    } catch (error) {
      this.deps.logger.warn(`closing channel of ${this.definition.queue} failed: ${redactText(String(error))}`);
    }
  }

  /** Resolves once nothing is in flight, including deliveries that arrive while waiting. */
  private async whenAllSettled(): Promise<void> {
    while (this.unsettled.size > 0) {
      await Promise.allSettled(this.unsettled.values());
    }
  }

  /**
   * Consumes when no pause reason holds, cancels otherwise; one transition at a time. A consumer's
   * prefetch is fixed when it starts (RabbitMQ applies `basic.qos` to later consumers only), so a
   * new window means cancelling and consuming again. The broker counts only a consumer's own
   * deliveries against its prefetch: those still in flight from an earlier consumer take their
   * share of the window, and the new consumer gets the rest (none: it waits until there is room).
   * Once nothing is in flight, a consumer that got less than the window is replaced by a full one.
   */
  private updateConsuming(): Promise<void> {
    const next = this.transition.then(async () => {
      const wanted = this.pauses.size === 0;
      const window = this.window.current;
      // A single-active-consumer queue takes a new window once idle: the cancel would make a standby active mid-flight.
      const stale =
        (window !== this.consumedFor && (!this.definition.ordered || this.unsettled.size === 0)) ||
        (this.consumedWith < window && this.unsettled.size === 0);
      // Ordered, one at a time: a cancel now would make a standby active with the next message; wait for handOff.
      const holdOn = !wanted && this.definition.ordered && !this.definition.partitioning && this.unsettled.size > 0 && !this.settlingInHand;
      this.cancelDeferred = holdOn;
      if (this.consumerTag !== undefined && ((!wanted && !holdOn) || stale)) {
        const tag = this.consumerTag;
        this.consumerTag = undefined;
        this.consumedWith = 0;
        // On a channel that is closing the consumer is gone with it; carry on, so that a wanted
        // consumer is registered below and restored by the wrapper on the next channel.
        await this.channel.cancel(tag).catch(() => undefined);
      }
      // After cancel-ok no more deliveries of the old consumer arrive: this count only falls.
      const room = window - this.unsettled.size;
      if (wanted && this.consumerTag === undefined && room >= 1) {
        // Prefetch set here, awaited, for the consumer started next: given as a consume option,
        // amqp-connection-manager would set it without awaiting, and on a connection closing
        // meanwhile that rejection crashes the process. If the channel is closing, the consume
        // below must still be registered with the wrapper, which restores it on the next channel
        // (whose setup sets the prefetch): a failure here would leave the queue unconsumed.
        await this.rawChannel?.prefetch(room, false).catch(() => undefined);
        const { consumerTag } = await this.channel.consume(this.definition.queue, (message) => this.onMessage(message), {
          noAck: false,
        });
        this.consumerTag = consumerTag;
        this.active = false;
        this.consumedWith = room;
        this.consumedFor = window;
        this.settler.progressed();
      }
      this.needsRoom = wanted && (this.consumerTag === undefined || this.consumedWith < window);
    });
    this.transition = next.catch((error: unknown) => {
      this.deps.logger.error(`consumer of ${this.definition.queue} could not change state: ${redactText(String(error))}`);
    });
    return this.transition as Promise<void>;
  }

  private async setup(channel: Channel): Promise<void> {
    // A new channel: deliveries of the old one can no longer be settled (the broker requeued them).
    this.acknowledger?.retire();
    // A quarter of the live consumer's prefetch per ack frame (see AckBatcher): 4 frames per window.
    this.acknowledger = new ChannelAcknowledger(channel, () => Math.max(1, Math.floor(this.consumedWith / 4)));
    this.keeper.forgetDeclaredQueues();
    this.rawChannel = channel;
    await guardedSetup(channel, this.deps.topology.reporter, async () => {
      // Per consumer (global = false), for the consumers this channel starts from now on (the
      // channel wrapper restores ours after a reconnect): the current window, nothing in flight on it yet.
      await channel.prefetch(this.window.current, false);
      if (this.deps.declareQueue) {
        await this.deps.declareQueue(channel);
        return;
      }
      await declareEventsExchange(channel, this.deps.exchange, this.deps.topology);
      // A router declares its partitions too: it never forwards to a queue that does not exist yet.
      for (const definition of [this.definition, ...partitionDefinitions(this.definition)]) {
        const spec = {
          exchange: this.deps.exchange,
          queue: definition.queue,
          // A partition queue is reached through the default exchange only, from its handler's router.
          pattern: definition.partitionOf ? undefined : definition.pattern,
          deadLetterQueue: parkingQueueOf(definition),
          deliveryLimit: this.deps.deliveryLimit,
          deadLetterBound: this.deps.topology.deadLetterBound,
          arguments: definition.queueArguments,
        };
        await declareHandlerQueue(channel, spec, this.deps.topology);
      }
    });
  }

  private onMessage(message: ConsumeMessage): void {
    // Set up before its consumer is registered on a channel: every delivery comes after it.
    const acknowledger = this.acknowledger!;
    if (this.stopping) {
      // Sent by the broker before it processed our cancel: hand it straight back, unprocessed.
      // An ordered queue's is held instead: the channel's close returns it to the front (drainOrdered);
      // a nack would have it delivered straight back here, in a loop, while this consumer is still the active one.
      if (!this.definition.ordered) acknowledger.nack(message, true);
      return;
    }
    this.active = true;
    acknowledger.delivered(message);
    const bytes = message.content.length;
    this.deps.flow.acquire(bytes);
    if (this.window.observe(bytes)) {
      this.windowChanged(bytes);
    }
    const delivery: Delivery = { message, acknowledger };
    // A handler that returns synchronously is settled right here: no promise for this delivery.
    const handled = this.settler.handle(delivery);
    if (handled === undefined) {
      this.released(delivery, bytes);
      return;
    }
    // handle() never rejects: one continuation instead of a .finally() promise per message.
    this.unsettled.set(
      delivery,
      handled.then(() => this.released(delivery, bytes)),
    );
  }

  private released(delivery: Delivery, bytes: number): void {
    this.unsettled.delete(delivery);
    this.deps.flow.release(bytes);
    if ((this.needsRoom || this.cancelDeferred) && this.unsettled.size === 0) {
      this.needsRoom = false; // a deferred cancel whose message settled without handOff (its channel gone) happens now
      void this.updateConsuming();
    }
  }

  /**
   * Applies a new window: the consumer is cancelled at once, so settling the deliveries already
   * sent frees no slot for another (possibly large) one; the new consumer gets what is left of it.
   */
  private windowChanged(bytes: number): void {
    if (bytes > this.deps.maxMessageBytes) {
      this.deps.logger.warn(
        `prefetch window of ${this.definition.queue} cut to 1: a delivery of ${bytes} bytes is over maxMessageBytes ` +
          `(${this.deps.maxMessageBytes}); it opens to ${this.deps.prefetch} again at the next body within it`,
      );
    } else {
      this.deps.logger.debug(`prefetch window of ${this.definition.queue} opened to ${this.window.current}`);
    }
    void this.updateConsuming();
  }
}

async function waitAtMost(promise: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([promise, new Promise((resolve) => (timer = setTimeout(resolve, ms)))]);
  clearTimeout(timer);
}
