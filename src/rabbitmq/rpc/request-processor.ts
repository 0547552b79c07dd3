import type { ConsumeMessage } from 'amqplib';
import { JSON_CONTENT_TYPE } from '../rabbitmq.constants.js';
import type { DeliveryOutcome, HandlerRun } from '../failure/delivery-outcome.js';
import { describeFailure, failureOf, type FailureDescription } from '../failure/failure-description.js';
import { encodeReply } from '../wire/reply-packet.js';
import type { PerMessageLog } from '../logging/per-message-log.js';
import { droppedReplyLine, type ReplyDropReason } from './dropped-replies.js';
import type { ReplySender } from './reply-publisher.js';
import { echoedCorrelationId, isAllowedReplyTarget } from './reply-target.js';

/** What a RequestProcessor needs besides the request: where replies go, and their bounds. */
export interface RequestProcessorDeps {
  /**
   * Runs the request's handler as for an event (server's DeliveryProcessor.run), declared here so
   * that rpc does not depend on server (server builds RequestProcessors: the dependency goes one way).
   */
  processor: { run(message: ConsumeMessage): HandlerRun | Promise<HandlerRun> };
  replies: ReplySender;
  /** The queue's per-message lines (failures, dropped replies), limited per kind and interval. */
  log: Pick<PerMessageLog, 'warn'>;
  /** Counts a reply not sent (warren_replies_dropped_total). */
  countDropped: (reason: ReplyDropReason) => void;
  /** The request queue (the service's own name for it, never the routing key a requester chose). */
  queue: string;
  /** Queues besides direct reply-to a reply may be sent to (option allowedReplyQueues). */
  allowedReplyQueues: ReadonlySet<string>;
  /** A reply larger than this is replaced by an error reply: its caller would refuse it anyway. */
  maxMessageBytes: number;
}

/**
 * Turns one request into a reply: the same decode, validation, timeout and Nest pipeline as an
 * event (DeliveryProcessor), then the result — or the failure's type and message — is sent to the
 * caller's `replyTo`, and the request is acked either way. A request is never retried and never
 * dead-lettered: its caller waits only until its timeout, so a later retry would answer nobody,
 * and an undecodable request is answered with the reason at once rather than left to time out.
 * A result that cannot be encoded (a BigInt, a cycle) or is too large is answered as a failure.
 * A `replyTo` that is not a direct reply-to address (or an allowed queue) gets nothing.
 */
export class RequestProcessor {
  constructor(private readonly deps: RequestProcessorDeps) {}

  async process(message: ConsumeMessage): Promise<DeliveryOutcome> {
    const { outcome, value, error } = await this.deps.processor.run(message);
    let failure = outcome.kind === 'ack' ? undefined : describeRequestFailure(error, outcome.failure);
    const { replyTo, correlationId } = message.properties as { replyTo?: unknown; correlationId?: unknown };
    if (typeof replyTo === 'string' && replyTo !== '') {
      // The reply key, in the properties and in the packet (Nest's format): bounded and printable.
      const id = echoedCorrelationId(correlationId);
      const encoded = this.encode(id, failure, value);
      failure = encoded.failure;
      await this.send(replyTo, encoded.content, id);
    }
    if (!failure) {
      return { kind: 'ack' };
    }
    const replied = failure;
    this.deps.log.warn('request-failed', () => `request on ${this.deps.queue} failed, error replied: ${replied.type}: ${replied.message}`);
    // A result that could not be encoded is the handler's bug, never a dependency that is down.
    return { kind: 'ack', failedRequest: { dependencyDown: outcome.kind !== 'ack' && outcome.dependencyDown === true } };
  }

  /** The reply body; a result that cannot be encoded or is too large becomes the failure replied. */
  private encode(id: string | undefined, failure: FailureDescription | undefined, value: unknown): { content: Buffer; failure?: FailureDescription } {
    if (failure) {
      return { content: encodeReply(id, { err: failure }), failure };
    }
    let content: Buffer;
    try {
      content = encodeReply(id, { response: value });
    } catch (encodeError) {
      const cause = describeFailure(encodeError);
      const unencodable = failureOf('ReplyEncodeError', `the handler's result could not be encoded as JSON: ${cause.type}: ${cause.message}`);
      return { content: encodeReply(id, { err: unencodable }), failure: unencodable };
    }
    if (content.length > this.deps.maxMessageBytes) {
      const tooLarge = {
        type: 'MessageTooLargeError',
        message: `the handler's result is ${content.length} bytes encoded, over maxMessageBytes (${this.deps.maxMessageBytes}); the caller would refuse it`,
      };
      return { content: encodeReply(id, { err: tooLarge }), failure: tooLarge };
    }
    return { content };
  }

  private async send(replyTo: string, content: Buffer, correlationId: string | undefined): Promise<void> {
    const { replies, allowedReplyQueues } = this.deps;
    if (!isAllowedReplyTarget(replyTo, allowedReplyQueues)) {
      this.dropped('invalid_address');
      return;
    }
    // Not persistent: a reply is worthless after a broker restart, its caller is gone.
    const properties = { correlationId, persistent: false, contentType: JSON_CONTENT_TYPE };
    // Never thrown: a reply that cannot be sent is counted; the caller times out, and redoing the
    // work would not reach it any sooner.
    const reason = await replies.send(replyTo, content, properties);
    if (reason !== undefined) {
      this.dropped(reason);
    }
  }

  private dropped(reason: ReplyDropReason): void {
    this.deps.countDropped(reason);
    this.deps.log.warn(`reply-dropped-${reason}`, () => droppedReplyLine(reason, this.deps.queue));
  }
}

/**
 * Plain `@MessagePattern` handlers (without HandleRequest's interceptor) surface Nest's filtered
 * error, a plain `{ status, message }` object: its message is the one to send back.
 */
function describeRequestFailure(error: unknown, described: FailureDescription): FailureDescription {
  if (!(error instanceof Error) && typeof error === 'object' && error !== null && typeof (error as { message?: unknown }).message === 'string') {
    return failureOf('RpcException', (error as { message: string }).message);
  }
  return described ?? describeFailure(error);
}
