import { randomUUID } from 'node:crypto';
import type { Channel, ChannelModel, ConfirmChannel, GetMessage, Options } from 'amqplib';
import { unroutedQueueName } from '../topology/topology-names.js';
import { DEFAULT_PEEK_LIMIT, DEFAULT_REPLAY_CONFIRM_TIMEOUT_MS, MAX_PEEK_LIMIT, PEEK_BODY_PREVIEW_BYTES } from './dead-letter.constants.js';
import { HEADER_REPLAY_RUN } from '../wire/message-headers.js';
import {
  DeadLetterQueueNotFoundError,
  InvalidDeadLetterRequestError,
  OriginatingQueueNotFoundError,
  ReplayPublishError,
} from '../errors/dead-letter.errors.js';
import { type DeadLetterTarget, resolveDeadLetterTarget } from './dead-letter-names.js';
import { headerText } from '../wire/header-text.js';
import { describeParkedMessage, type ParkedMessage } from './parked-message.js';
import { replayCopyProperties } from './replay-copy.js';

/** Ready messages in a handler queue's dead-letter queue. */
export interface DeadLetterDepth extends DeadLetterTarget {
  messages: number;
}

/** One row of `list`: `messages` is null when the DLQ does not exist on the broker. */
export interface DeadLetterListing extends DeadLetterTarget {
  messages: number | null;
}

/** Events the exchange could not route to any handler, parked in `<exchange>.unrouted`. */
export interface UnroutedDepth {
  exchange: string;
  queue: string;
  /** Null when the queue does not exist (the service never started against this broker). */
  messages: number | null;
}

export interface PeekResult extends DeadLetterTarget {
  /** Ready messages in the DLQ when the peek started. */
  depth: number;
  messages: ParkedMessage[];
}

export interface ReplayOptions {
  /** Replay at most this many messages (oldest first); all of them by default. */
  limit?: number;
}

export interface ReplayResult extends DeadLetterTarget {
  replayed: number;
  /**
   * Messages this run meant to move (those parked when it started, up to the limit) but did not:
   * 0 when it moved them all. `skippedBecause` says why.
   */
  skipped: number;
  skippedBecause?: string;
}

/** Why a replay moved fewer messages than it counted at the start. */
const SKIPPED_OWN_COPY = 'a copy this run made was parked again ahead of them; they are left in the dead-letter queue for the next run';
const SKIPPED_GONE =
  'they were no longer ready in the dead-letter queue (taken or held by another consumer, replay or peek, purged, or expired): run it again to see';

export interface DeadLetterAdminOptions {
  /** Longest to wait for the broker to confirm one replayed copy. @default 10000 */
  confirmTimeoutMs?: number;
  /** Body bytes kept per peeked message. @default 2048 */
  peekBodyBytes?: number;
}

/**
 * Operator tooling for the dead-letter queues (`<queue>.dlq`) of the transport: depth, peek,
 * replay into the originating queue, purge. It works on a plain amqplib connection it is given
 * (it never closes it) and opens a short-lived channel per operation, so a 404 that closes a
 * channel cannot affect another operation. Queue arguments accept either the handler queue
 * (`orders.audit`) or its DLQ (`orders.audit.dlq`).
 */
export class DeadLetterAdmin {
  private readonly confirmTimeoutMs: number;
  private readonly peekBodyBytes: number;

  constructor(
    private readonly connection: ChannelModel,
    options: DeadLetterAdminOptions = {},
  ) {
    this.confirmTimeoutMs = options.confirmTimeoutMs ?? DEFAULT_REPLAY_CONFIRM_TIMEOUT_MS;
    this.peekBodyBytes = options.peekBodyBytes ?? PEEK_BODY_PREVIEW_BYTES;
  }

  /**
   * Ready messages in the DLQ, from a passive declare (nothing is created).
   * @throws DeadLetterQueueNotFoundError when the DLQ does not exist.
   */
  async depth(queue: string): Promise<DeadLetterDepth> {
    const target = resolveDeadLetterTarget(queue);
    const messages = await this.withChannel((channel) => readyCount(channel, target.dlq));
    return { ...target, messages };
  }

  /**
   * Depths of the DLQs of the given handler queues (the caller knows the service's queues).
   * A missing DLQ is listed with `messages: null` instead of failing the whole list.
   */
  async list(queues: string[]): Promise<DeadLetterListing[]> {
    const listings: DeadLetterListing[] = [];
    for (const queue of queues) {
      try {
        listings.push(await this.depth(queue));
      } catch (error) {
        if (!(error instanceof DeadLetterQueueNotFoundError)) {
          throw error;
        }
        listings.push({ ...resolveDeadLetterTarget(queue), messages: null });
      }
    }
    return listings;
  }

  /** Depth of `<exchange>.unrouted`, where events no handler is bound for are parked. */
  async unrouted(exchange: string): Promise<UnroutedDepth> {
    const queue = unroutedQueueName(exchange);
    try {
      const messages = await this.withChannel((channel) => readyCount(channel, queue));
      return { exchange, queue, messages };
    } catch (error) {
      if (error instanceof DeadLetterQueueNotFoundError) {
        return { exchange, queue, messages: null };
      }
      throw error;
    }
  }

  /**
   * Up to `limit` parked messages, oldest first, WITHOUT removing them: they are fetched unacked
   * on a channel of their own, which is then closed so the broker puts them back. Classic queues
   * restore them in place; quorum queues return them ahead of the rest, in order as far as the
   * broker keeps it. Each peek counts as a delivery: the messages come back with the redelivered
   * flag, and on a quorum DLQ their `x-delivery-count` grows by one — which matters on brokers
   * that apply a delivery limit to every quorum queue (RabbitMQ 4.0–4.2 default 20, with returns
   * counted): peek sparingly there, or the broker may drop a message peeked that often.
   */
  async peek(queue: string, limit = DEFAULT_PEEK_LIMIT): Promise<PeekResult> {
    assertLimit(limit, 'peek limit', MAX_PEEK_LIMIT);
    const target = resolveDeadLetterTarget(queue);
    return this.withChannel(async (channel) => {
      const depth = await readyCount(channel, target.dlq);
      const messages: ParkedMessage[] = [];
      while (messages.length < limit) {
        const message = await channel.get(target.dlq, { noAck: false });
        if (message === false) {
          break;
        }
        messages.push(describeParkedMessage(message, this.peekBodyBytes));
      }
      // Closing the channel (withChannel) returns every unacked message to the queue.
      return { ...target, depth, messages };
    });
  }

  /**
   * Moves parked messages back into the originating queue (through the default exchange, so only
   * that handler sees them again), oldest first and one at a time: take one unacked, publish a
   * copy (see replayCopyProperties: attempt count 0, reason cleared but kept as history), wait
   * for the broker's confirm, and only then ack the parked one. A crash at any point loses
   * nothing; at worst the message being moved is delivered twice (handlers de-duplicate by
   * messageId).
   *
   * It replays at most the messages that were in the DLQ when it started: a replayed message
   * that fails again and is parked anew is left for the next run, never looped over. Each copy
   * carries the run's own random id (`x-replay-run`); meeting one ends the run. Headers a producer
   * may have written (`x-replayed-at`, an old run id) decide nothing. Messages counted but not
   * moved are reported as `skipped`, with the reason.
   * @throws DeadLetterQueueNotFoundError, OriginatingQueueNotFoundError, ReplayPublishError
   */
  async replay(queue: string, options: ReplayOptions = {}): Promise<ReplayResult> {
    if (options.limit !== undefined) {
      assertLimit(options.limit, 'replay limit');
    }
    const target = resolveDeadLetterTarget(queue);
    const channel = await this.connection.createConfirmChannel();
    channel.on('error', ignoreChannelError);
    let returned: boolean;
    channel.on('return', () => {
      // A basic.return precedes the confirm of the same publish on the channel.
      returned = true;
    });
    let replayed = 0;
    try {
      const parked = await readyCount(channel, target.dlq);
      await this.assertOriginatingQueue(channel, target);
      const budget = Math.min(options.limit ?? Number.POSITIVE_INFINITY, parked);
      const runId = randomUUID();
      while (replayed < budget) {
        const message = await channel.get(target.dlq, { noAck: false });
        if (message === false) {
          return { ...target, replayed, skipped: budget - replayed, skippedBecause: SKIPPED_GONE };
        }
        if (headerText(message.properties.headers?.[HEADER_REPLAY_RUN]) === runId) {
          channel.nack(message, false, true);
          return { ...target, replayed, skipped: budget - replayed, skippedBecause: SKIPPED_OWN_COPY };
        }
        const properties = replayCopyProperties(message, target.queue, new Date(), runId);
        returned = false;
        const failure = await this.publishConfirmed(channel, target.queue, message, properties);
        const reason = failure ?? (returned ? 'returned by the broker as unroutable' : undefined);
        if (reason !== undefined) {
          channel.nack(message, false, true);
          throw new ReplayPublishError(target.dlq, headerText(message.properties.messageId), reason, replayed);
        }
        channel.ack(message);
        replayed++;
      }
      return { ...target, replayed, skipped: 0 };
    } finally {
      // Acks were sent before the close, so the broker applies them first; an unacked message
      // (failure path) goes back to the DLQ.
      await channel.close().catch(() => undefined);
    }
  }

  /**
   * Deletes every ready message in the DLQ. Irreversible.
   * @returns how many messages were purged.
   */
  async purge(queue: string): Promise<DeadLetterDepth> {
    const target = resolveDeadLetterTarget(queue);
    const messages = await this.withChannel(async (channel) => {
      await readyCount(channel, target.dlq); // a clear not-found error before anything else
      return (await channel.purgeQueue(target.dlq)).messageCount;
    });
    return { ...target, messages };
  }

  private async assertOriginatingQueue(channel: Channel, target: DeadLetterTarget): Promise<void> {
    try {
      await channel.checkQueue(target.queue);
    } catch (error) {
      throw isNotFound(error) ? new OriginatingQueueNotFoundError(target.queue, target.dlq) : error;
    }
  }

  /** Publishes and waits for the confirm; resolves with why it failed, or undefined when confirmed. */
  private publishConfirmed(channel: ConfirmChannel, queue: string, message: GetMessage, properties: Options.Publish): Promise<string | undefined> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve(`not confirmed within ${this.confirmTimeoutMs} ms`), this.confirmTimeoutMs);
      try {
        channel.publish('', queue, message.content, properties, (error: Error | null) => {
          clearTimeout(timer);
          resolve(error ? `not confirmed (${error.message})` : undefined);
        });
      } catch (error) {
        clearTimeout(timer);
        resolve(`not published (${error instanceof Error ? error.message : String(error)})`);
      }
    });
  }

  /** A fresh channel per operation, always closed (closing returns unacked gets to the queue). */
  private async withChannel<T>(work: (channel: Channel) => Promise<T>): Promise<T> {
    const channel = await this.connection.createChannel();
    channel.on('error', ignoreChannelError);
    try {
      return await work(channel);
    } finally {
      await channel.close().catch(() => undefined);
    }
  }
}

/** Passive declare: ready count, or DeadLetterQueueNotFoundError for a 404. */
async function readyCount(channel: Channel, queue: string): Promise<number> {
  try {
    return (await channel.checkQueue(queue)).messageCount;
  } catch (error) {
    throw isNotFound(error) ? new DeadLetterQueueNotFoundError(queue) : error;
  }
}

function isNotFound(error: unknown): boolean {
  return (error as { code?: unknown } | undefined)?.code === 404;
}

function assertLimit(limit: number, what: string, max = Number.MAX_SAFE_INTEGER): void {
  if (!Number.isInteger(limit) || limit < 1 || limit > max) {
    throw new InvalidDeadLetterRequestError(`${what} must be an integer from 1 to ${max}, got ${String(limit)}`);
  }
}

/**
 * A channel the broker closes (404 on a passive declare) emits 'error'; without a listener that
 * would be an uncaught exception. The failed call itself rejects with the same error.
 */
function ignoreChannelError(): void {}
