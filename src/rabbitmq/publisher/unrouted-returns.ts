import type { Logger } from '@nestjs/common';
import type { ConsumeMessage, Options } from 'amqplib';
import { redactText } from '../logging/redact-url.js';
import type { RabbitMetrics } from '../metrics/rabbitmq-metrics.js';
import { HEADER_ORIGINAL_ROUTING_KEY } from '../wire/message-headers.js';

/**
 * Distinct routing keys counted by label; beyond it they are counted as `other`, so a producer
 * inventing keys cannot grow the metric without bound.
 */
export const MAX_UNROUTED_KEY_LABELS = 100;

/** Label of the keys beyond MAX_UNROUTED_KEY_LABELS. */
const OTHER_KEYS = 'other';

/**
 * Events the broker returned as unroutable (published `mandatory`, no queue bound for their
 * routing key): counted in `warren_publishes_unrouted_total{routing_key}`, logged once per key
 * per interval, and — unless disabled — a copy kept in `<exchange>.unrouted`. The publish
 * itself still succeeded: the broker confirms a returned message right after returning it.
 */
export class UnroutedReturns {
  private readonly labelled = new Set<string>();
  private readonly lastLoggedAt = new Map<string, { at: number; since: number }>();
  /** Message ids whose publisher wants to hear of a return (outbox rows), with what to call. */
  private readonly watched = new Map<string, () => void>();

  constructor(
    private readonly deps: {
      metrics: RabbitMetrics;
      logger: Logger;
      /** Name of `<exchange>.unrouted`, or undefined when no copies are kept. */
      unroutedQueue?: string;
      /** A routing key's unroutable events are logged at most once per this interval (option unroutedLogIntervalMs). */
      logIntervalMs: number;
      /** Publishes the copy through the default exchange (confirmed, bounded like any publish). */
      keep: (queue: string, content: Buffer, properties: Options.Publish) => Promise<void>;
    },
  ) {}

  /** Handles one `basic.return`. */
  returned(message: Pick<ConsumeMessage, 'content' | 'fields' | 'properties'>): void {
    const routingKey = message.fields.routingKey;
    this.deps.metrics.publishesUnrouted.labels(this.label(routingKey)).inc();
    this.log(routingKey);
    const watcher = typeof message.properties.messageId === 'string' ? this.watched.get(message.properties.messageId) : undefined;
    watcher?.();
    const queue = this.deps.unroutedQueue;
    // A watched message is still its publisher's (an outbox row, retried then dead): no copy.
    if (queue === undefined || watcher) {
      return;
    }
    const properties = message.properties;
    this.deps
      .keep(queue, message.content, {
        ...stripUndefined(properties),
        headers: { ...(properties.headers ?? {}), [HEADER_ORIGINAL_ROUTING_KEY]: routingKey },
      })
      .catch((error: unknown) => {
        this.deps.logger.warn(`keeping a copy of an unroutable event in ${queue} failed: ${redactText(String(error))}`);
      });
  }

  /**
   * Calls `onReturn` if the message with `messageId` comes back unroutable; the broker returns it
   * before confirming it, so the caller knows by its confirm. Returns the function that stops watching.
   */
  watch(messageId: string, onReturn: () => void): () => void {
    this.watched.set(messageId, onReturn);
    return () => this.watched.delete(messageId);
  }

  private label(routingKey: string): string {
    if (this.labelled.has(routingKey)) {
      return routingKey;
    }
    if (this.labelled.size >= MAX_UNROUTED_KEY_LABELS) {
      return OTHER_KEYS;
    }
    this.labelled.add(routingKey);
    return routingKey;
  }

  private log(routingKey: string): void {
    const now = Date.now();
    const key = this.label(routingKey);
    const last = this.lastLoggedAt.get(key);
    if (last && now - last.at < this.deps.logIntervalMs) {
      last.since += 1;
      return;
    }
    const more = last && last.since > 0 ? ` (${last.since} more since the last report)` : '';
    this.lastLoggedAt.set(key, { at: now, since: 0 });
    const kept = this.deps.unroutedQueue ? `a copy is kept in ${this.deps.unroutedQueue}` : 'no copy is kept';
    this.deps.logger.warn(
      `an event with routing key '${truncate(routingKey)}' was not routed to any queue (no handler subscribes to it)${more}; ${kept}; ` +
        `logged at most once per ${this.deps.logIntervalMs / 1000} s per key, counted in warren_publishes_unrouted_total`,
    );
  }
}

function truncate(text: string): string {
  return JSON.stringify(text.length > 200 ? `${text.slice(0, 200)}…` : text).slice(1, -1);
}

function stripUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
