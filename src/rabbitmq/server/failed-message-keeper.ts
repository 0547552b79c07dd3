import type { Logger } from '@nestjs/common';
import type { AmqpConnectionManager } from 'amqp-connection-manager';
import type { ConsumeMessage } from 'amqplib';
import { redactText } from '../logging/redact-url.js';
import { PerMessageLog } from '../logging/per-message-log.js';
import { PublishError } from '../errors/publish.errors.js';
import type { QueueType } from '../options/rabbitmq-options.interface.js';
import type { RabbitPublisher } from '../publisher/rabbit-publisher.js';
import { declareRetryQueue } from '../topology/topology.js';
import type { DeliveryOutcome } from '../failure/delivery-outcome.js';
import { failureCopyProperties } from '../wire/failure-copy.js';
import type { HandlerDefinition } from './handler-registry.js';
import { parkingQueueOf } from './partition-plan.js';
import { messageIdOf, originalRoutingKey } from '../wire/message-identity.js';
import { readRetryCount } from '../wire/message-headers.js';

export interface FailedMessageKeeperDeps {
  connection: AmqpConnectionManager;
  publisher: RabbitPublisher;
  queueType: QueueType;
  logger: Logger;
}

/**
 * Keeps a failed delivery before it is acked: publishes its copy to `<queue>.retry.<delay>` or
 * `<queue>.dlq` (confirmed), declaring the delay tier on first use. Nothing a message carries may
 * make this fail in a loop; see `keep`.
 */
export class FailedMessageKeeper {
  private readonly declaredRetryQueues = new Map<number, Promise<string>>();
  /** One line per kind per interval for this queue, whatever the number of failing messages. */
  private readonly log: PerMessageLog;

  constructor(
    private readonly definition: HandlerDefinition,
    private readonly deps: FailedMessageKeeperDeps,
  ) {
    this.log = new PerMessageLog(deps.logger);
  }

  /** Delay tiers are declared again on a new consumer channel (after a reconnect they may be gone). */
  forgetDeclaredQueues(): void {
    this.declaredRetryQueues.clear();
  }

  /**
   * Publishes the retry or dead-letter copy. Failures caused by the message itself (a copy that
   * cannot be built, declared or encoded) must never requeue it, or it would loop: the copy is
   * tried again with a minimal header set in the DLQ, and if even that fails the caller lets the
   * broker dead-letter the original. Only the broker's refusals (PublishError: down, blocked,
   * timed out, nacked) are thrown, as they say nothing about the message.
   */
  async keep(message: ConsumeMessage, outcome: Exclude<DeliveryOutcome, { kind: 'ack' }>): Promise<'retry' | 'dead-letter' | 'not-copied'> {
    const id = messageIdOf(message);
    const reason = `${outcome.failure.type}: ${outcome.failure.message}`;
    try {
      await this.publishFailureCopy(message, outcome, false);
      return outcome.kind;
    } catch (error) {
      if (error instanceof PublishError) {
        throw error;
      }
      this.log.error(
        'copy-refused',
        () =>
          `the ${outcome.kind} copy of message ${id} of ${this.definition.queue} could not be published ` +
          `(${redactText(String(error))}): parking it with a minimal header set`,
      );
    }
    const parked: DeliveryOutcome = { kind: 'dead-letter', failure: outcome.failure, retryable: false };
    try {
      await this.publishFailureCopy(message, parked, true);
      return 'dead-letter';
    } catch (error) {
      if (error instanceof PublishError) {
        throw error;
      }
      this.log.error(
        'not-copied',
        () =>
          `message ${id} of ${this.definition.queue} could not be parked by warren (${redactText(String(error))}): ` +
          `rejected to the broker's dead-letter route (${parkingQueueOf(this.definition)}, without reason headers); ${reason}`,
      );
      return 'not-copied';
    }
  }

  private async publishFailureCopy(message: ConsumeMessage, outcome: Exclude<DeliveryOutcome, { kind: 'ack' }>, minimal: boolean): Promise<void> {
    const reason = (): string => `${outcome.failure.type}: ${outcome.failure.message}`;
    let target: string;
    let retryCount: number;
    if (outcome.kind === 'retry') {
      target = await this.retryQueue(outcome.delayMs);
      retryCount = outcome.retry;
      this.log.warn(
        'retry',
        () => `retry ${outcome.retry} of message ${messageIdOf(message)} on ${this.definition.queue} in ${outcome.delayMs} ms: ${reason()}`,
      );
    } else {
      target = parkingQueueOf(this.definition);
      retryCount = readRetryCount(message);
      this.log.warn(
        'dead-letter',
        () => `dead-lettering message ${messageIdOf(message)} of ${this.definition.queue} after ${retryCount} retries: ${reason()}`,
      );
    }
    const properties = failureCopyProperties(
      message,
      outcome.failure,
      { handler: this.definition.handlerName, originalRoutingKey: originalRoutingKey(message), retryCount },
      { minimal },
    );
    await this.deps.publisher.publishRaw('', target, message.content, properties);
  }

  /** Declares a delay tier the first time it is used (per channel, so after a reconnect too). */
  private retryQueue(delayMs: number): Promise<string> {
    let declared = this.declaredRetryQueues.get(delayMs);
    if (!declared) {
      declared = this.declareOnOwnChannel(delayMs);
      declared.catch(() => this.declaredRetryQueues.delete(delayMs));
      this.declaredRetryQueues.set(delayMs, declared);
    }
    return declared;
  }

  /**
   * On a short-lived channel of its own: a declare the broker refuses (a retry queue left with
   * other arguments: 406) closes the channel it ran on, and on the consumer's channel that would
   * drop every delivery in flight and redeliver this one — to fail the same way, in a loop. Such a
   * refusal is thrown as is (the message is then parked); a connection that is merely down is a
   * PublishError (the message is requeued and retried later).
   */
  private async declareOnOwnChannel(delayMs: number): Promise<string> {
    const channel = await this.deps.connection.connection?.createChannel().catch(() => undefined);
    if (!channel) {
      throw new PublishError('the consumer connection is down: the retry queue cannot be declared now');
    }
    channel.on('error', () => undefined); // the refusal is thrown by the declare itself
    try {
      return await declareRetryQueue(channel, { queue: this.definition.queue, delayMs, queueType: this.deps.queueType });
    } catch (error) {
      // A refusal by the broker carries its reply code (406, 403…); anything else is the connection.
      if (typeof (error as { code?: unknown }).code === 'number') {
        throw error;
      }
      throw new PublishError(`the retry queue could not be declared now: ${redactText(String(error))}`, 1, { cause: error });
    } finally {
      await channel.close().catch(() => undefined);
    }
  }
}
