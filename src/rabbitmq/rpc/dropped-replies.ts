import type { Logger } from '@nestjs/common';

/**
 * Why a reply was not sent, as counted in `warren_replies_dropped_total{reason}`:
 * - invalid_address: the request's `replyTo` is neither a direct reply-to address nor a queue
 *   the `allowedReplyQueues` option lists (never published);
 * - refused: the broker nacked the reply or closed its channel first (a direct reply-to address
 *   naming a channel it does not know closes the reply connection);
 * - not_sent: no reply channel (reconnecting, blocked) or no confirm in time.
 */
export type ReplyDropReason = 'invalid_address' | 'refused' | 'not_sent';

/** A reason is logged at most once per this interval (per request queue); every drop is counted. */
export const REPLY_DROP_LOG_INTERVAL_MS = 10_000;

const EXPLANATIONS: Readonly<Record<ReplyDropReason, string>> = {
  invalid_address:
    'its replyTo is neither a direct reply-to address (amq.rabbitmq.reply-to.<pid>.<key>) nor a queue listed in the allowedReplyQueues option',
  refused:
    'the broker refused it or closed the reply channel under it (an unknown direct reply-to address closes the reply connection; it reconnects)',
  not_sent: 'the reply connection is down or blocked, or the reply was not confirmed in time',
};

/**
 * Counts and logs replies that were not sent. The requester waits out its timeout either way;
 * the log line names the request queue and the reason only (never the requester's `replyTo` or
 * correlationId: they are whatever the requester wrote), once per interval, so a flood of hostile
 * requests writes one line per reason and queue every REPLY_DROP_LOG_INTERVAL_MS.
 */
export class DroppedReplies {
  /** When each reason/queue was last logged, and the drops held back since. */
  private readonly logged = new Map<string, { at: number; since: number }>();

  constructor(
    private readonly logger: Pick<Logger, 'warn'>,
    private readonly count: (reason: ReplyDropReason) => void = () => undefined,
    private readonly intervalMs = REPLY_DROP_LOG_INTERVAL_MS,
  ) {}

  record(reason: ReplyDropReason, queue: string): void {
    this.count(reason);
    // Request queues are the service's own (one per request handler): the map stays that small.
    const key = `${reason}|${queue}`;
    const now = Date.now();
    const last = this.logged.get(key);
    if (last && now - last.at < this.intervalMs) {
      last.since += 1;
      return;
    }
    const held = last && last.since > 0 ? ` (${last.since} more since the last report)` : '';
    this.logged.set(key, { at: now, since: 0 });
    this.logger.warn(
      `a reply to a request on ${queue} was dropped: ${EXPLANATIONS[reason]}${held}; ` +
        `logged at most once per ${this.intervalMs / 1000} s, counted in warren_replies_dropped_total{reason="${reason}"}`,
    );
  }
}
