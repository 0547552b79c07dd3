import type { HandlerResult } from './handler-result.js';
import type { PublishedEvent } from './published-event.js';

/** What one publish did: a result per handler queue it reached, and the events handlers published meanwhile. */
export class HarnessDelivery {
  constructor(
    /** One per handler whose binding pattern matched, in registration order. */
    readonly results: HandlerResult[],
    /** Events published by the handlers while handling this message. */
    readonly published: PublishedEvent[],
  ) {}

  /** The result of the only handler that got the message; throws if none or several did (use `of`). */
  get result(): HandlerResult {
    if (this.results.length !== 1) {
      const handlers = this.results.map((result) => result.handler).join(', ') || 'none';
      throw new Error(`the message reached ${this.results.length} handlers (${handlers}): pick one with delivery.of(handler)`);
    }
    return this.results[0];
  }

  /** The result of one handler, by handler name (`inventory.order-created`) or queue. */
  of(handler: string): HandlerResult {
    const result = this.results.find((candidate) => candidate.handler === handler || candidate.queue === handler);
    if (!result) {
      const handlers = this.results.map((candidate) => candidate.handler).join(', ') || 'none';
      throw new Error(`handler '${handler}' did not get the message (it reached: ${handlers})`);
    }
    return result;
  }
}
