/** What a confirmed publish returns: enough to answer `202 {eventId}` and to trace the event. */
export interface PublishReceipt {
  messageId: string;
  pattern: string;
  correlationId?: string;
}
