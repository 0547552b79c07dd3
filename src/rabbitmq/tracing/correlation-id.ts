/**
 * The one rule for ids that come from outside (HTTP `X-Request-Id`, the AMQP `correlationId` of a
 * consumed message): short and plain. They end up in log lines and in the headers of every event
 * published on their behalf, so a value with CR/LF, escapes or kilobytes of text is never taken.
 */
const SAFE_CORRELATION_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** True when `value` may be used as a correlation id as it is. */
export function isSafeCorrelationId(value: unknown): value is string {
  return typeof value === 'string' && SAFE_CORRELATION_ID.test(value);
}
