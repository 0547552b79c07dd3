import type { ConsumeMessage } from 'amqplib';

/*
 * Header names warren writes on retry and dead-letter copies (the wire contract in
 * docs/architecture.md). Every copy carries them; operators and the DLQ tools read them back.
 */
/** Class name of the failure (`DecodeError`, `ValidationError`, the handler's error…). */
export const HEADER_ERROR_TYPE = 'x-error-type';
/** The failure's message, truncated to MAX_ERROR_MESSAGE_LENGTH. */
export const HEADER_ERROR_MESSAGE = 'x-error-message';
/** When the copy was made (ISO 8601). */
export const HEADER_FAILED_AT = 'x-failed-at';
/** Retries already made: 0 on the first delivery. Our own header: RabbitMQ 4 ignores client-set `x-death`. */
export const HEADER_RETRY_COUNT = 'x-retry-count';
/** The routing key the event was first published with (a retry travels via the default exchange). */
export const HEADER_ORIGINAL_ROUTING_KEY = 'x-original-routing-key';
/** The handler that failed (`<group>.<method>`). */
export const HEADER_HANDLER = 'x-handler';
/**
 * On a request: the caller's correlation id (X-Request-Id). The AMQP `correlationId` of a request
 * is the reply's matching key, unique per request as Nest's ClientRMQ expects.
 */
export const HEADER_REQUEST_CORRELATION_ID = 'x-correlation-id';
/** When a parked message was last replayed (ISO 8601); kept across later failures as history, never trusted. */
export const HEADER_REPLAYED_AT = 'x-replayed-at';
/**
 * The replay run that made this copy: a random id per run, so a run recognises its own copies
 * parked again and stops there. A producer cannot forge it (it cannot guess the id), unlike a
 * date in `x-replayed-at`, which once made a replay move nothing.
 */
export const HEADER_REPLAY_RUN = 'x-replay-run';
/** The `x-error-type` a replayed message was parked with, so the reason survives the replay. */
export const HEADER_LAST_ERROR_TYPE = 'x-last-error-type';

/** Retries already made of this message, from `x-retry-count`; 0 when absent or not a count. */
export function readRetryCount(message: ConsumeMessage): number {
  const value = Number(message.properties.headers?.[HEADER_RETRY_COUNT] ?? 0);
  return Number.isInteger(value) && value >= 0 ? value : 0;
}

/**
 * The message as seen by its `retry`-th in-place retry (ordered handlers): the same delivery,
 * with the retry count a copy through a retry queue would have carried.
 */
export function withRetryCount(message: ConsumeMessage, retry: number): ConsumeMessage {
  const headers = { ...message.properties.headers, [HEADER_RETRY_COUNT]: retry };
  return { ...message, properties: { ...message.properties, headers } };
}
