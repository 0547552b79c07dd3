import type { Logger } from '@nestjs/common';
import type { AmqpConnectionManager, ChannelWrapper } from 'amqp-connection-manager';
import type { Channel, ConsumeMessage } from 'amqplib';
import { redactText } from '../connection/redact-url.js';
import { AdaptivePrefetch } from '../flow/adaptive-prefetch.js';
import type { FlowControl, FlowPauseReason } from '../flow/flow-control.js';
import { QueueMetrics } from '../metrics/queue-metrics.js';
import type { ConsumeOutcome, RabbitMetrics } from '../metrics/rabbitmq-metrics.js';
import type { KillSwitchOptions, QueueType } from '../options/rabbitmq-options.interface.js';
import type { RabbitPublisher } from '../publisher/rabbit-publisher.js';
import { PublishRejectedError } from '../errors/publish.errors.js';
import { TopologyConflictError } from '../errors/topology-conflict.error.js';
import { guardedSetup } from '../topology/guarded-setup.js';
import { deadLetterQueueName } from '../topology/topology-names.js';
import { type DeclareContext, declareEventsExchange, declareHandlerQueue, type QueueBound } from '../topology/topology.js';
import { AckBatcher } from './ack-batcher.js';
import { ConcurrencyLimit } from './concurrency-limit.js';
import type { DeliveryOutcome } from '../failure/delivery-outcome.js';
import { killSwitchSignal } from '../failure/failure-policy.js';
import type { DeliveryProcessor } from './delivery-processor.js';
import { FailedMessageKeeper } from './failed-message-keeper.js';
import type { HandlerDefinition } from './handler-registry.js';
import { KillSwitch, type KillSwitchState } from './kill-switch.js';
import { withRetryCount } from '../wire/message-headers.js';

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
}

/** Why a consumer is not taking deliveries. */
export type PauseReason = 'kill-switch' | 'dead-letter-queue-full' | 'shutdown' | FlowPauseReason;

export interface QueueConsumerStatus {
  queue: string;
  /** The largest window: the handler's prefetch capped by the byte budget. */
  prefetch: number;
  /** Deliveries the queue may have in flight now: 1 at start and after a body over maxMessageBytes, else `prefetch`. */
  window: number;
  /** Prefetch of the live consumer (what the broker may send it); 0 while not consuming. */
  consumerPrefetch: number;
  /** The channel is open with the topology declared (and the consumer attached unless paused). */
  attached: boolean;
  consuming: boolean;
  pausedFor: PauseReason[];
  killSwitch: KillSwitchState;
  inFlight: number;
  /** Deliveries running the handler now (at most the handler's `concurrency`). */
  running: number;
  /**
   * A single-active-consumer queue (ordered handler): on a standby replica the broker sends nothing
   * while the queue has messages, so a ready backlog alone does not mean this consumer is stuck.
   */
  ordered: boolean;
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
  private readonly keeper: FailedMessageKeeper;
  /** Handler runs at once: the handler's `concurrency` (deliveries beyond it wait, already counted in prefetch and bytes). */
  private readonly slots: ConcurrencyLimit;
  /** Wakes an ordered handler's in-place retry backoff early when the consumer stops. */
  private readonly stopped = new AbortController();
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
    this.window = new AdaptivePrefetch(deps.prefetch, deps.maxMessageBytes);
    this.metrics = new QueueMetrics(deps.metrics, definition.queue);
    this.keeper = new FailedMessageKeeper(definition, deps);
    this.slots = new ConcurrencyLimit(definition.concurrency);
    this.channel = deps.connection.createChannel({
      name: definition.queue,
      confirm: false,
      json: false,
      setup: (channel: Channel) => this.setup(channel),
    });
    // A quarter of the live consumer's prefetch per ack frame (see AckBatcher): 4 frames per window.
    this.settlements = new AckBatcher(this.channel, () => Math.max(1, Math.floor(this.consumedWith / 4)));
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
      killSwitch: this.killSwitch.state,
      inFlight: this.unsettled.size,
      running: this.slots.active,
      ordered: this.definition.ordered,
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
    this.stopped.abort();
    await this.pause('shutdown');
    await waitAtMost(this.whenAllSettled(), graceMs);
    if (this.unsettled.size > 0) {
      this.deps.logger.warn(`${this.unsettled.size} message(s) of ${this.definition.queue} still in flight after ${graceMs} ms: requeued`);
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
      const stale = window !== this.consumedFor || (this.consumedWith < window && this.unsettled.size === 0);
      if (this.consumerTag !== undefined && (!wanted || stale)) {
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
        this.consumedWith = room;
        this.consumedFor = window;
        this.lastProgressAt = Date.now();
      }
      this.needsRoom = wanted && (this.consumerTag === undefined || this.consumedWith < window);
    });
    this.transition = next.catch((error: unknown) => {
      this.deps.logger.error(`consumer of ${this.definition.queue} could not change state: ${redactText(String(error))}`);
    });
    return this.transition as Promise<void>;
  }

  private async setup(channel: Channel): Promise<void> {
    this.generation += 1;
    this.settlements.reset();
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
      await declareHandlerQueue(
        channel,
        {
          exchange: this.deps.exchange,
          queue: this.definition.queue,
          pattern: this.definition.pattern,
          deliveryLimit: this.deps.deliveryLimit,
          deadLetterBound: this.deps.topology.deadLetterBound,
          arguments: this.definition.queueArguments,
        },
        this.deps.topology,
      );
    });
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
    if (this.window.observe(bytes)) {
      this.windowChanged(bytes);
    }
    // A handler that returns synchronously is settled right here: no promise for this delivery.
    const handled = this.handle(message, generation);
    if (handled === undefined) {
      this.released(message, bytes);
      return;
    }
    // handle() never rejects: one continuation instead of a .finally() promise per message.
    const done = handled.then(() => this.released(message, bytes));
    this.unsettled.set(message, { generation, done });
  }

  private released(message: ConsumeMessage, bytes: number): void {
    this.unsettled.delete(message);
    this.deps.flow.release(bytes);
    if (this.needsRoom && this.unsettled.size === 0) {
      this.needsRoom = false;
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

  /** Undefined when the delivery was settled synchronously, else a promise that never rejects. */
  private handle(message: ConsumeMessage, generation: number): Promise<void> | undefined {
    if (!this.slots.tryAcquire()) {
      return this.slots.acquire().then(() => this.handleInSlot(message, generation));
    }
    return this.handleInSlot(message, generation);
  }

  /** Runs the handler in the slot taken for it, settles, frees the slot. */
  private handleInSlot(message: ConsumeMessage, generation: number): Promise<void> | undefined {
    const startedAt = performance.now();
    let outcome: DeliveryOutcome | Promise<DeliveryOutcome>;
    try {
      outcome = this.deps.processor.process(message);
    } catch (error) {
      // A processor never throws; should one, settling fails below and the delivery comes back.
      outcome = Promise.reject(error instanceof Error ? error : new Error(String(error)));
    }
    if (outcome instanceof Promise || this.definition.ordered || outcome.kind !== 'ack') {
      return this.settleInSlot(message, generation, startedAt, outcome);
    }
    this.metrics.handled((performance.now() - startedAt) / 1000);
    this.acked(message, outcome, generation);
    this.slots.release();
    return undefined;
  }

  private async settleInSlot(
    message: ConsumeMessage,
    generation: number,
    startedAt: number,
    running: DeliveryOutcome | Promise<DeliveryOutcome>,
  ): Promise<void> {
    try {
      await this.settleOutcome(message, generation, startedAt, running);
    } catch (error) {
      // Settling failed (broker gone mid-way): the message stays unacked and comes back.
      this.metrics.settled('requeue');
      this.deps.logger.error(`settling a message of ${this.definition.queue} failed: ${redactText(String(error))}`);
    } finally {
      this.slots.release();
    }
  }

  private acked(message: ConsumeMessage, outcome: DeliveryOutcome, generation: number): void {
    this.recordForKillSwitch(outcome);
    // The ack batcher cannot throw: an ack costs no promise.
    if (generation === this.generation) {
      this.settlements.ack(message);
    }
    this.lastProgressAt = Date.now();
    this.metrics.settled('ack');
  }

  private async settleOutcome(
    message: ConsumeMessage,
    generation: number,
    startedAt: number,
    running: DeliveryOutcome | Promise<DeliveryOutcome>,
  ): Promise<void> {
    let attempt = message;
    let outcome = await running;
    this.metrics.handled((performance.now() - startedAt) / 1000);
    if (this.definition.ordered) {
      ({ attempt, outcome } = await this.retryInPlace(message, outcome, generation));
      if (outcome.kind === 'retry') {
        // Stopping, or its channel is gone: left unacked, the broker requeues it (at once, or when the channel closes).
        return;
      }
    }
    if (outcome.kind === 'ack') {
      this.acked(message, outcome, generation);
      return;
    }
    this.recordForKillSwitch(outcome);
    const settled = await this.settle(message, outcome, generation, attempt);
    this.lastProgressAt = Date.now();
    this.metrics.settled(settled.replace('-', '_') as ConsumeOutcome);
  }

  /**
   * An ordered handler's retries happen here, in its slot: a copy sent to a retry queue would
   * come back behind the messages that followed it. Each retry waits the policy's delay, then runs
   * the handler again with `getRetryCount()` one higher, until it succeeds or the policy parks it.
   * Returns the last attempt (its retry count is what the DLQ copy carries); still 'retry' only if
   * the consumer stopped meanwhile or the channel the delivery came on was replaced (the broker
   * has then requeued it, to be delivered again: retrying this one too would run it twice).
   */
  private async retryInPlace(
    message: ConsumeMessage,
    first: DeliveryOutcome,
    generation: number,
  ): Promise<{ attempt: ConsumeMessage; outcome: DeliveryOutcome }> {
    let attempt = message;
    let outcome = first;
    const current = (): boolean => !this.stopped.signal.aborted && generation === this.generation;
    while (outcome.kind === 'retry' && current()) {
      this.deps.logger.warn(
        `retry ${outcome.retry} of a message of ordered ${this.definition.queue} in place in ${outcome.delayMs} ms ` +
          `(the queue waits for it): ${outcome.failure.type}: ${outcome.failure.message}`,
      );
      this.metrics.settled('retry');
      await delay(outcome.delayMs, this.stopped.signal);
      if (!current()) {
        break;
      }
      attempt = withRetryCount(message, outcome.retry);
      const startedAt = performance.now();
      outcome = await this.deps.processor.process(attempt);
      this.metrics.handled((performance.now() - startedAt) / 1000);
      this.lastProgressAt = Date.now(); // an attempt made: working through its retries, not stuck
    }
    return { attempt, outcome };
  }

  /**
   * Settles the delivery; returns what really happened (a retry may end up parked). `attempt` is
   * the message as last handled (an ordered handler's in-place retry count), for the copy.
   */
  private async settle(
    message: ConsumeMessage,
    outcome: DeliveryOutcome,
    generation: number,
    attempt: ConsumeMessage = message,
  ): Promise<DeliveryOutcome['kind']> {
    if (generation !== this.generation) {
      return outcome.kind; // stale delivery tag: the broker has already requeued this message
    }
    let settled: DeliveryOutcome['kind'] = outcome.kind;
    if (outcome.kind !== 'ack') {
      let kept: DeliveryOutcome['kind'] | 'not-copied';
      try {
        kept = await this.keeper.keep(attempt, outcome);
      } catch (error) {
        // The broker could not take the copy now (down, blocked, slow): neither retried nor
        // parked, so it must not be acked: requeue it; the quorum delivery limit stops a loop if
        // publishing keeps failing.
        if (generation === this.generation) {
          this.settlements.nack(message, true);
        }
        if (outcome.kind === 'dead-letter' && error instanceof PublishRejectedError) {
          this.pauseForFullDeadLetterQueue();
        }
        throw error;
      }
      if (kept === 'not-copied') {
        // No copy of ours could be made: the broker dead-letters the message itself, to
        // <queue>.dlq through the queue's x-dead-letter-exchange; the queue moves on.
        if (generation === this.generation) {
          this.settlements.nack(message, false);
        }
        return 'dead-letter';
      }
      settled = kept;
    }
    if (generation === this.generation) {
      this.settlements.ack(message);
    }
    return settled;
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

  /** What counts is the failure policy's to say (killSwitchSignal): only a dependency that is down trips it. */
  private recordForKillSwitch(outcome: DeliveryOutcome): void {
    const signal = killSwitchSignal(outcome);
    if (!this.deps.killSwitch.enabled || signal === undefined) {
      return;
    }
    const change = this.killSwitch.record(signal === 'failure');
    if (change === 'tripped') {
      this.deps.logger.error(`kill switch tripped on ${this.definition.queue}: too many failures; pausing for ${this.deps.killSwitch.cooldownMs} ms`);
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

/** Waits `ms`, or less if `signal` aborts. */
function delay(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}

async function waitAtMost(promise: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([promise, new Promise((resolve) => (timer = setTimeout(resolve, ms)))]);
  clearTimeout(timer);
}
