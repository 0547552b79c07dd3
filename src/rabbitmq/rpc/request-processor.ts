import type { Logger } from '@nestjs/common';
import type { ConsumeMessage } from 'amqplib';
import { redactText } from '../connection/redact-url.js';
import type { RabbitPublisher } from '../publisher/rabbit-publisher.js';
import { JSON_CONTENT_TYPE } from '../rabbitmq.constants.js';
import type { DeliveryOutcome } from '../failure/delivery-outcome.js';
import type { DeliveryProcessor } from '../server/delivery-processor.js';
import { describeFailure, type FailureDescription } from '../failure/failure-description.js';
import { encodeReply } from '../wire/reply-packet.js';

/**
 * Turns one request into a reply: the same decode, validation, timeout and Nest pipeline as an
 * event (DeliveryProcessor), then the result — or the failure's type and message — is sent to the
 * caller's `replyTo`, and the request is acked either way. A request is never retried and never
 * dead-lettered: its caller waits only until its timeout, so a later retry would answer nobody,
 * and an undecodable request is answered with the reason at once rather than left to time out.
 */
export class RequestProcessor {
  constructor(
    private readonly processor: DeliveryProcessor,
    private readonly publisher: Pick<RabbitPublisher, 'publishRaw'>,
    private readonly logger: Logger,
  ) {}

  async process(message: ConsumeMessage): Promise<DeliveryOutcome> {
    const { outcome, value, error } = await this.processor.run(message);
    const failure = outcome.kind === 'ack' ? undefined : describeRequestFailure(error, outcome.failure);
    const { replyTo, correlationId } = message.properties as { replyTo?: string; correlationId?: string };
    if (replyTo) {
      const content = encodeReply(correlationId, failure ? { err: failure } : { response: value });
      try {
        // Not persistent: a reply is worthless after a broker restart, its caller is gone.
        await this.publisher.publishRaw('', replyTo, content, { correlationId, persistent: false, contentType: JSON_CONTENT_TYPE });
      } catch (replyError) {
        // The caller times out; redoing the work would not reach it any sooner.
        this.logger.warn(`reply to a request on ${message.fields.routingKey} could not be sent: ${redactText(String(replyError))}`);
      }
    }
    if (outcome.kind === 'ack') {
      return outcome;
    }
    this.logger.warn(`request on ${message.fields.routingKey} failed, error replied: ${failure!.type}: ${failure!.message}`);
    return { kind: 'ack', failedRequest: { dependencyDown: outcome.dependencyDown === true } };
  }
}

/**
 * Plain `@MessagePattern` handlers (without HandleRequest's interceptor) surface Nest's filtered
 * error, a plain `{ status, message }` object: its message is the one to send back.
 */
function describeRequestFailure(error: unknown, described: FailureDescription): FailureDescription {
  if (!(error instanceof Error) && typeof error === 'object' && error !== null && typeof (error as { message?: unknown }).message === 'string') {
    return { type: 'RpcException', message: (error as { message: string }).message };
  }
  return described ?? describeFailure(error);
}
