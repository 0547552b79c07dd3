import {
  HEADER_ERROR_MESSAGE,
  HEADER_ERROR_TYPE,
  HEADER_FAILED_AT,
  HEADER_HANDLER,
  HEADER_LAST_ERROR_TYPE,
  HEADER_ORIGINAL_ROUTING_KEY,
  HEADER_REPLAY_RUN,
  HEADER_REPLAYED_AT,
  HEADER_REQUEST_CORRELATION_ID,
  HEADER_RETRY_COUNT,
} from '../wire/message-headers.js';
import { BAGGAGE_HEADER, FIRST_ATTEMPT_HEADER, TRACEPARENT_HEADER, TRACESTATE_HEADER } from '../wire/trace-headers.js';
import type { JsonSchema } from './publishes.decorator.js';

/** What a reader of the catalogue needs to know of each header warren sets (names from wire/, never retyped). */
const HEADERS: Record<string, string> = {
  [TRACEPARENT_HEADER]: 'W3C trace context of the publisher (https://www.w3.org/TR/trace-context/).',
  [TRACESTATE_HEADER]: 'W3C trace state, with traceparent.',
  [BAGGAGE_HEADER]: 'W3C baggage, with traceparent.',
  [FIRST_ATTEMPT_HEADER]: 'On a retry copy: the traceparent of the first delivery.',
  [HEADER_REQUEST_CORRELATION_ID]: "On a request: the caller's correlation id (its X-Request-Id).",
  [HEADER_RETRY_COUNT]: 'On a retry or dead-letter copy: retries already made (0 on the first delivery).',
  [HEADER_ORIGINAL_ROUTING_KEY]: 'On a retry or dead-letter copy: the routing key the event was first published with.',
  [HEADER_HANDLER]: 'On a retry or dead-letter copy: the handler that failed (<group>.<method>).',
  [HEADER_ERROR_TYPE]: 'On a retry or dead-letter copy: class name of the failure (DecodeError, ValidationError, the handler error).',
  [HEADER_ERROR_MESSAGE]: "On a retry or dead-letter copy: the failure's message, truncated.",
  [HEADER_FAILED_AT]: 'On a retry or dead-letter copy: when it was made (ISO 8601).',
  [HEADER_REPLAYED_AT]: 'On a replayed message: when it was last replayed from its DLQ (ISO 8601).',
  [HEADER_REPLAY_RUN]: 'On a replayed message: the replay run that made the copy.',
  [HEADER_LAST_ERROR_TYPE]: 'On a replayed message: the x-error-type it was parked with.',
};

/** The AMQP headers schema every message of the catalogue carries (none is required of a producer). */
export function warrenHeadersSchema(): JsonSchema {
  const properties = Object.fromEntries(
    Object.entries(HEADERS).map(([name, description]) => [name, { type: name === HEADER_RETRY_COUNT ? 'integer' : 'string', description }]),
  );
  return { type: 'object', properties };
}
