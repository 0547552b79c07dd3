import type { Logger } from '@nestjs/common';
import { redactText } from '../logging/redact-url.js';
import { PublishRejectedError } from '../errors/publish.errors.js';
import type { DeliveryOutcome } from '../failure/delivery-outcome.js';
import { killSwitchSignal } from '../failure/failure-policy.js';
import type { QueueMetrics } from '../metrics/queue-metrics.js';
import type { ConsumeOutcome } from '../metrics/rabbitmq-metrics.js';
import type { KillSwitchOptions } from '../options/rabbitmq-options.interface.js';
import { withRetryCount } from '../wire/message-headers.js';
import { messageIdOf } from '../wire/message-identity.js';
import { abortableDelay } from './abortable-delay.js';
import type { Delivery } from './channel-acknowledger.js';
import { ConcurrencyLimit } from './concurrency-limit.js';
import type { DeliveryHandling } from './delivery-handling.js';
import type { DeliveryProcessor } from './delivery-processor.js';
import type { FailedMessageKeeper } from './failed-message-keeper.js';
import type { HandlerDefinition } from './handler-registry.js';
import { parkingQueueOf } from './partition-plan.js';
import { RefusalBackoff } from './refusal-backoff.js';
import { KillSwitch, type KillSwitchState } from './kill-switch.js';

/** The consumer a settler works for: it pauses it when the downstream or the DLQ cannot take more. */
export interface PausableConsumer {
  pause(reason: 'kill-switch' | 'dead-letter-queue-full'): Promise<void>;
  resume(reason: 'kill-switch' | 'dead-letter-queue-full'): Promise<void>;
  /**
   * An ordered consumer asked to hand its queue to a standby replica (PartitionBalancer): called
   * once a message is handled and before it is settled, it cancels the consumer — the broker sends
   * nothing more meanwhile (prefetch 1, that message unacked) and makes the standby active — and
   * returns what subscribes again once settled. Undefined when no hand-off was asked.
   */
  handOff?(): Promise<() => void> | undefined;
}

/** An ordered handler's in-place retry, about to wait its delay. */
export type InPlaceRetry = Extract<DeliveryOutcome, { kind: 'retry' }>;

export interface DeliverySettlerDeps {
  processor: Pick<DeliveryProcessor, 'process'>;
  keeper: Pick<FailedMessageKeeper, 'keep'>;
  killSwitch: Required<KillSwitchOptions>;
  metrics: Pick<QueueMetrics, 'settled' | 'handled'>;
  logger: Logger;
  consumer: PausableConsumer;
  /**
   * Waits an ordered handler's in-place retry delay (ends early when `signal` aborts).
   * warren/testing records the retry instead of waiting it, as it does not wait a retry queue's delay.
   * @default a timer of `retry.delayMs`
   */
  waitToRetry?: (delivery: Delivery, retry: InPlaceRetry, signal: AbortSignal) => Promise<void>;
}

/**
 * Runs each delivery's handler in one of the handler's `concurrency` slots and settles it on the
 * channel it came on, only after the handler settled: ack on success; on failure the retry or
 * dead-letter copy is published and confirmed first, then the original acked, so no crash can
 * lose it. An ordered handler retries in place. Retryable failures feed the kill switch; a DLQ that
 * refuses dead letters pauses the consumer.
 */
export class DeliverySettler implements DeliveryHandling {
  private readonly killSwitch: KillSwitch;
  /** Handler runs at once: the handler's `concurrency` (deliveries beyond it wait, already counted in prefetch and bytes). */
  private readonly slots: ConcurrencyLimit;
  /** Wakes an ordered handler's in-place retry backoff early when the consumer stops. */
  private readonly stopped = new AbortController();
  private cooldown?: NodeJS.Timeout;
  private deadLetterPause?: NodeJS.Timeout;
  /** Epoch ms of the last settlement (or of when consuming started, see `progressed`). */
  lastProgressAt = Date.now();

  constructor(
    private readonly definition: HandlerDefinition,
    private readonly deps: DeliverySettlerDeps,
  ) {
    this.killSwitch = new KillSwitch(deps.killSwitch);
    this.slots = new ConcurrencyLimit(definition.concurrency);
  }

  /** Deliveries running the handler now. */
  get running(): number {
    return this.slots.active;
  }

  get killSwitchState(): KillSwitchState {
    return this.killSwitch.state;
  }

  /** Counts as progress (a consumer just started): the time since is what "stuck" is measured by. */
  progressed(): void {
    this.lastProgressAt = Date.now();
  }

  /** The consumer stops: in-place retries give up (their deliveries are requeued), no pause resumes. */
  stop(): void {
    this.stopped.abort();
    clearTimeout(this.cooldown);
    clearTimeout(this.deadLetterPause);
  }

  /** Undefined when the delivery was settled synchronously, else a promise that never rejects. */
  handle(delivery: Delivery): Promise<void> | undefined {
    if (!this.slots.tryAcquire()) {
      return this.slots.acquire().then(() => this.handleInSlot(delivery));
    }
    return this.handleInSlot(delivery);
  }

  /** Runs the handler in the slot taken for it, settles, frees the slot. */
  private handleInSlot(delivery: Delivery): Promise<void> | undefined {
    const startedAt = performance.now();
    let outcome: DeliveryOutcome | Promise<DeliveryOutcome>;
    try {
      outcome = this.deps.processor.process(delivery.message);
    } catch (error) {
      // A processor never throws; should one, settling fails below and the delivery comes back.
      outcome = Promise.reject(error instanceof Error ? error : new Error(String(error)));
    }
    if (outcome instanceof Promise || this.definition.ordered || outcome.kind !== 'ack') {
      return this.settleInSlot(delivery, startedAt, outcome);
    }
    // The synchronous path: a handler that returned at once is acked here, no promise for it.
    this.deps.metrics.handled((performance.now() - startedAt) / 1000);
    this.acked(delivery, outcome);
    this.slots.release();
    return undefined;
  }

  private async settleInSlot(delivery: Delivery, startedAt: number, running: DeliveryOutcome | Promise<DeliveryOutcome>): Promise<void> {
    try {
      await this.settleOutcome(delivery, startedAt, running);
    } catch (error) {
      // Settling failed (broker gone mid-way): the message stays unacked and comes back.
      this.deps.metrics.settled('requeue');
      this.deps.logger.error(`settling a message of ${this.definition.queue} failed: ${redactText(String(error))}`);
    } finally {
      this.slots.release();
    }
  }

  private acked(delivery: Delivery, outcome: DeliveryOutcome, recorded = false): void {
    if (!recorded) this.recordForKillSwitch(outcome);
    // The ack batcher cannot throw: an ack costs no promise.
    delivery.acknowledger.ack(delivery.message);
    this.lastProgressAt = Date.now();
    this.deps.metrics.settled('ack');
  }

  private async settleOutcome(delivery: Delivery, startedAt: number, running: DeliveryOutcome | Promise<DeliveryOutcome>): Promise<void> {
    let attempt = delivery;
    let outcome = await running;
    this.deps.metrics.handled((performance.now() - startedAt) / 1000);
    if (this.definition.ordered) {
      ({ attempt, outcome } = await this.retryInPlace(delivery, outcome));
      if (outcome.kind === 'retry') {
        // Stopping, or its channel is gone: left unacked, the broker requeues it (at once, or when the channel closes).
        return;
      }
      // Before the hand-off: a kill switch that trips now pauses at this settlement too (cancel, then ack).
      this.recordForKillSwitch(outcome);
      const rejoin = await this.deps.consumer.handOff?.();
      try {
        await this.settleHandled(delivery, outcome, attempt, true);
      } finally {
        rejoin?.();
      }
      return;
    }
    await this.settleHandled(delivery, outcome, attempt, false);
  }

  private async settleHandled(delivery: Delivery, outcome: DeliveryOutcome, attempt: Delivery, recorded: boolean): Promise<void> {
    if (outcome.kind === 'ack') {
      this.acked(delivery, outcome, recorded);
      return;
    }
    if (!recorded) this.recordForKillSwitch(outcome);
    const settled = await this.settle(delivery, outcome, attempt);
    this.lastProgressAt = Date.now();
    this.deps.metrics.settled(settled.replace('-', '_') as ConsumeOutcome);
  }

  /**
   * An ordered handler's retries happen here, in its slot: a copy sent to a retry queue would
   * come back behind the messages that followed it. Each retry waits the policy's delay, then runs
   * the handler again with `getRetryCount()` one higher, until it succeeds or the policy parks it.
   * Returns the last attempt (its retry count is what the DLQ copy carries); still 'retry' only if
   * the consumer stopped meanwhile or the channel the delivery came on is gone (the broker has
   * then requeued it, to be delivered again: retrying this one too would run it twice).
   */
  private async retryInPlace(delivery: Delivery, first: DeliveryOutcome): Promise<{ attempt: Delivery; outcome: DeliveryOutcome }> {
    let attempt = delivery;
    let outcome = first;
    const current = (): boolean => !this.stopped.signal.aborted && delivery.acknowledger.live;
    while (outcome.kind === 'retry' && current()) {
      this.deps.logger.warn(
        `retry ${outcome.retry} of message ${messageIdOf(delivery.message)} of ordered ${this.definition.queue} in place in ${outcome.delayMs} ms ` +
          `(the queue waits for it): ${outcome.failure.type}: ${outcome.failure.message}`,
      );
      this.deps.metrics.settled('retry');
      await (this.deps.waitToRetry ?? waitDelay)(delivery, outcome, this.stopped.signal);
      if (!current()) {
        break;
      }
      attempt = { message: withRetryCount(delivery.message, outcome.retry), acknowledger: delivery.acknowledger };
      const startedAt = performance.now();
      outcome = await this.deps.processor.process(attempt.message);
      this.deps.metrics.handled((performance.now() - startedAt) / 1000);
      this.lastProgressAt = Date.now(); // an attempt made: working through its retries, not stuck
    }
    return { attempt, outcome };
  }

  /**
   * Settles a failed delivery; returns what really happened (a retry may end up parked). `attempt`
   * is the delivery as last handled (an ordered handler's in-place retry count), for the copy.
   */
  private async settle(
    delivery: Delivery,
    outcome: Exclude<DeliveryOutcome, { kind: 'ack' }>,
    attempt: Delivery,
  ): Promise<Exclude<DeliveryOutcome['kind'], 'ack'>> {
    const { message, acknowledger } = delivery;
    if (!acknowledger.live) {
      return outcome.kind; // its channel is gone: the broker has already requeued this message
    }
    const kept = this.definition.ordered ? await this.keepInPlace(delivery, outcome, attempt) : await this.keepOrRequeue(delivery, outcome, attempt);
    if (kept === 'not-copied') {
      // No copy of ours could be made: the broker dead-letters the message itself, to
      // <queue>.dlq through the queue's x-dead-letter-exchange; the queue moves on.
      acknowledger.nack(message, false);
      return 'dead-letter';
    }
    acknowledger.ack(message);
    return kept;
  }

  /**
   * The copy of an unordered handler's message; when the broker cannot take it now (down, blocked,
   * slow) the message is neither retried nor parked, so it must not be acked: it is requeued (the
   * quorum delivery limit stops a loop if publishing keeps failing) and the refusal thrown.
   */
  private async keepOrRequeue(
    { message, acknowledger }: Delivery,
    outcome: Exclude<DeliveryOutcome, { kind: 'ack' }>,
    attempt: Delivery,
  ): Promise<Awaited<ReturnType<FailedMessageKeeper['keep']>>> {
    try {
      return await this.deps.keeper.keep(attempt.message, outcome);
    } catch (error) {
      acknowledger.nack(message, true);
      if (outcome.kind === 'dead-letter' && error instanceof PublishRejectedError) {
        this.pauseForFullDeadLetterQueue();
      }
      throw error;
    }
  }

  /**
   * An ordered handler's copy the broker will not take now (down, blocked, the DLQ full) is tried
   * again in place, the message held unacked, as its retries are: a requeue would put it at the back
   * of a quorum queue (RabbitMQ 3.10, measured), behind the messages it must precede. Throws the
   * broker's refusal once the consumer stops or the delivery's channel is gone: left unacked, the
   * channel's close returns it to the front.
   */
  private async keepInPlace(
    delivery: Delivery,
    outcome: Exclude<DeliveryOutcome, { kind: 'ack' }>,
    attempt: Delivery,
  ): Promise<Awaited<ReturnType<FailedMessageKeeper['keep']>>> {
    const backoff = new RefusalBackoff();
    for (;;) {
      try {
        return await this.deps.keeper.keep(attempt.message, outcome);
      } catch (error) {
        const waitMs = backoff.next();
        this.deps.logger.warn(
          `the ${outcome.kind} copy of message ${messageIdOf(delivery.message)} of ordered ${this.definition.queue} was not taken ` +
            `(${redactText(String(error))}): trying again in ${waitMs} ms, the queue waits for it`,
        );
        await abortableDelay(waitMs, this.stopped.signal);
        if (this.stopped.signal.aborted || !delivery.acknowledger.live) throw error;
        this.lastProgressAt = Date.now(); // waiting on the broker, not stuck in the handler
      }
    }
  }

  /**
   * The broker refused the dead letter: the DLQ is at its bound (reject-publish). The message
   * went back to its queue; consuming on would only spin it round, so the consumer pauses for
   * the kill switch's cool-down and then tries again. Nothing is dropped meanwhile.
   */
  private pauseForFullDeadLetterQueue(): void {
    if (this.deadLetterPause || this.stopped.signal.aborted) {
      return;
    }
    this.deps.logger.error(
      `${parkingQueueOf(this.definition)} refuses dead letters (full at its x-max-length): consumer of ${this.definition.queue} ` +
        `paused for ${this.deps.killSwitch.cooldownMs} ms, its messages stay queued; inspect and drain it (npm run dlq -- peek / replay / purge)`,
    );
    void this.deps.consumer.pause('dead-letter-queue-full');
    this.deadLetterPause = setTimeout(() => {
      this.deadLetterPause = undefined;
      void this.deps.consumer.resume('dead-letter-queue-full');
    }, this.deps.killSwitch.cooldownMs);
    this.deadLetterPause.unref();
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
      void this.deps.consumer.pause('kill-switch');
      clearTimeout(this.cooldown);
      this.cooldown = setTimeout(() => {
        this.killSwitch.startTrial();
        this.deps.logger.warn(`kill switch on ${this.definition.queue}: resuming on trial`);
        void this.deps.consumer.resume('kill-switch');
      }, this.deps.killSwitch.cooldownMs);
      this.cooldown.unref();
    } else if (change === 'recovered') {
      this.deps.logger.log(`kill switch on ${this.definition.queue}: recovered`);
    }
  }
}

/** Waits the retry's delay, or less if `signal` aborts. */
function waitDelay(_delivery: Delivery, { delayMs }: InPlaceRetry, signal: AbortSignal): Promise<void> {
  return abortableDelay(delayMs, signal);
}
