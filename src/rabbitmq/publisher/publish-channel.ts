import type { AmqpConnectionManager, ChannelWrapper } from 'amqp-connection-manager';
import type { ConfirmChannel, Options } from 'amqplib';

/**
 * amqplib's error for a publish the broker answered with basic.nack (lib/channel.js); the
 * protocol carries no reason, so this text is all there is to tell a nack from other failures.
 */
const NACK_MESSAGE = 'message nacked';

/** True when a publish failed because the broker nacked it (not a timeout, not a closed channel). */
export function isNack(error: unknown): boolean {
  return error instanceof Error && error.message === NACK_MESSAGE;
}

/** Thrown by `write()` when nothing was written: no open channel right now. */
export class ChannelNotReadyError extends Error {
  override readonly name = 'ChannelNotReadyError';
}

/**
 * One confirm channel of the publisher. amqp-connection-manager keeps it open across reconnects
 * (and runs `setup` on each new channel), but publishes go straight to the current amqplib
 * channel instead of through the wrapper's queue: that queue answers "timeout" alike for a
 * message still waiting in it and one already written, and re-sends messages after a reconnect,
 * so the caller could not tell "not sent" (503) from "sent, answer unknown" (504). Here a
 * publish is written at once or refused (`ChannelNotReadyError`), and every written publish
 * is remembered until the broker answers it — even after its caller gave up — so that a broker
 * that stops confirming is seen (`oldestUnconfirmedAt`). A channel can be retired — closed once
 * its last confirm is in — while new publishes go to a fresh one.
 */
export class PublishChannel {
  readonly wrapper: ChannelWrapper;
  private raw?: ConfirmChannel;
  /** Write times of publishes on this channel not yet answered, in write order. */
  private readonly unconfirmed = new Set<{ at: number }>();
  private readonly waiting = new Set<Promise<void>>();
  private readonly readyWaiters = new Set<(ready: boolean) => void>();

  constructor(connection: AmqpConnectionManager, setup: (channel: ConfirmChannel) => Promise<unknown>) {
    this.wrapper = connection.createChannel({
      name: 'publish',
      confirm: true,
      json: false,
      setup: async (channel: ConfirmChannel) => {
        await setup(channel);
        this.attach(channel);
      },
    });
    // A failed set-up (e.g. a declare the broker refuses) will not produce a channel soon:
    // publishes waiting for one give up at once instead of at their deadline.
    this.wrapper.on('error', () => this.wake(false));
  }

  /** True when a publish would be written now. */
  get ready(): boolean {
    return this.raw !== undefined;
  }

  /**
   * Resolves true once the channel is usable; false after `timeoutMs` or when its set-up fails
   * (nothing is written meanwhile).
   */
  whenReady(timeoutMs: number): Promise<boolean> {
    if (this.raw) {
      return Promise.resolve(true);
    }
    return new Promise((resolve) => {
      const done = (ready: boolean) => {
        clearTimeout(timer);
        this.readyWaiters.delete(done);
        resolve(ready);
      };
      const timer = setTimeout(() => done(false), timeoutMs);
      this.readyWaiters.add(done);
    });
  }

  /**
   * Writes one publish and resolves on the broker's confirm; rejects with amqplib's error on a
   * nack (`isNack`) or when the channel closes before the answer. Throws ChannelNotReadyError,
   * having written nothing, when there is no open channel.
   */
  write(exchange: string, routingKey: string, content: Buffer, options: Options.Publish): Promise<void> {
    const raw = this.raw;
    if (!raw) {
      throw new ChannelNotReadyError('no open publish channel');
    }
    const entry = { at: performance.now() };
    let settle!: (error: unknown) => void;
    const confirmed = new Promise<void>((resolve, reject) => {
      // amqplib's own error, passed on unchanged: isNack() tells a broker nack from a closed channel.
      // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors
      settle = (error) => (error ? reject(error) : resolve());
    });
    try {
      raw.publish(exchange, routingKey, content, options, (error: unknown) => {
        this.unconfirmed.delete(entry);
        settle(error);
      });
    } catch (error) {
      // amqplib throws before writing anything when the channel is closing.
      throw new ChannelNotReadyError(error instanceof Error ? error.message : String(error));
    }
    this.unconfirmed.add(entry);
    this.waiting.add(confirmed);
    const forget = () => this.waiting.delete(confirmed);
    confirmed.then(forget, forget);
    return confirmed;
  }

  /** performance.now() of the oldest publish written here and not yet answered by the broker. */
  oldestUnconfirmedAt(): number | undefined {
    return this.unconfirmed.values().next().value?.at;
  }

  /**
   * Closes the channel once every publish on it has been answered, or after `maxWaitMs` (a
   * broker that never answers must not keep it open forever; those publishes were already
   * answered "outcome unknown" to their callers). Closing earlier would fail publishes the
   * broker may still confirm.
   */
  async retire(maxWaitMs: number): Promise<void> {
    const deadline = performance.now() + maxWaitMs;
    while (this.waiting.size > 0 && performance.now() < deadline) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        Promise.allSettled([...this.waiting]),
        new Promise((resolve) => (timer = setTimeout(resolve, Math.max(0, deadline - performance.now())))),
      ]);
      clearTimeout(timer);
    }
    await this.wrapper.close();
  }

  private attach(channel: ConfirmChannel): void {
    this.raw = channel;
    channel.once('close', () => {
      if (this.raw === channel) {
        this.raw = undefined;
      }
    });
    this.wake(true);
  }

  private wake(ready: boolean): void {
    for (const waiter of [...this.readyWaiters]) {
      waiter(ready);
    }
  }
}
