/**
 * Why a reply was not sent, as counted in `warren_replies_dropped_total{reason}`:
 * - invalid_address: the request's `replyTo` is neither a direct reply-to address nor a queue
 *   the `requests.allowedReplyQueues` option lists (never published);
 * - refused: the broker nacked the reply or closed its channel first (a direct reply-to address
 *   naming a channel it does not know closes the reply connection);
 * - not_sent: no reply channel (reconnecting, blocked) or no confirm in time.
 */
export type ReplyDropReason = 'invalid_address' | 'refused' | 'not_sent';

const EXPLANATIONS: Readonly<Record<ReplyDropReason, string>> = {
  invalid_address:
    'its replyTo is neither a direct reply-to address (amq.rabbitmq.reply-to.<pid>.<key>) nor a queue listed in the allowedReplyQueues option',
  refused:
    'the broker refused it or closed the reply channel under it (an unknown direct reply-to address closes the reply connection; it reconnects)',
  not_sent: 'the reply connection is down or blocked, or the reply was not confirmed in time',
};

/**
 * The log line of a dropped reply: the request queue and the reason only, never the requester's
 * `replyTo` or correlationId (they are whatever the requester wrote). Written through the
 * queue's PerMessageLog, so a flood of hostile requests gives one line per reason per interval.
 */
export function droppedReplyLine(reason: ReplyDropReason, queue: string): string {
  return `a reply to a request on ${queue} was dropped: ${EXPLANATIONS[reason]}; counted in warren_replies_dropped_total{reason="${reason}"}`;
}
