import type { ConsumeMessage, Options } from 'amqplib';
import {
  HEADER_ERROR_MESSAGE,
  HEADER_ERROR_TYPE,
  HEADER_FAILED_AT,
  HEADER_HANDLER,
  HEADER_ORIGINAL_ROUTING_KEY,
  HEADER_RETRY_COUNT,
} from './message-headers.js';
import { boundHeaders, CARRIED_HEADERS_BUDGET_BYTES } from './bounded-headers.js';
import { carriedProperties } from './carried-properties.js';
import type { FailureDescription } from '../failure/failure-description.js';
import { messageIdOf } from './message-identity.js';

/** The headers every copy gets anew; the original's values of them are never carried. */
const REASON_HEADERS: ReadonlySet<string> = new Set([
  HEADER_ERROR_TYPE,
  HEADER_ERROR_MESSAGE,
  HEADER_FAILED_AT,
  HEADER_RETRY_COUNT,
  HEADER_ORIGINAL_ROUTING_KEY,
  HEADER_HANDLER,
]);

/** Dropped header names listed in `x-error-message` (the rest are counted). */
const LISTED_DROPPED_HEADERS = 5;
const LISTED_NAME_LENGTH = 64;

export interface FailureCopyContext {
  handler: string;
  originalRoutingKey: string;
  retryCount: number;
}

/**
 * Properties of the copy of a failed message that goes to a retry queue or the dead-letter
 * queue: the same properties plus the reason headers and the retry count. `messageId` is the
 * producer's or, when it set none, the derived one (see `messageIdOf`), so every later delivery
 * keeps the id handlers de-duplicate on.
 *
 * The original headers are carried within `CARRIED_HEADERS_BUDGET_BYTES` (those that do not fit
 * are left out and named in `x-error-message`), so the copy can always be encoded. `minimal`
 * carries none of them: the last form tried before the broker's own dead-lettering.
 */
export function failureCopyProperties(
  message: ConsumeMessage,
  failure: FailureDescription,
  context: FailureCopyContext,
  { minimal = false }: { minimal?: boolean } = {},
): Options.Publish {
  const { properties } = message;
  const carried = minimal ? { headers: {}, dropped: [] } : boundHeaders(properties.headers, CARRIED_HEADERS_BUDGET_BYTES, REASON_HEADERS);
  let errorMessage = failure.message;
  if (carried.dropped.length > 0) {
    errorMessage += ` [${droppedNote(carried.dropped)}]`;
  } else if (minimal) {
    errorMessage += ' [the original headers were left out: the first copy of this message could not be made]';
  }
  return {
    ...carriedProperties(properties),
    messageId: messageIdOf(message),
    headers: {
      ...carried.headers,
      [HEADER_ERROR_TYPE]: failure.type,
      [HEADER_ERROR_MESSAGE]: errorMessage,
      [HEADER_FAILED_AT]: new Date().toISOString(),
      [HEADER_RETRY_COUNT]: context.retryCount,
      [HEADER_ORIGINAL_ROUTING_KEY]: context.originalRoutingKey,
      [HEADER_HANDLER]: context.handler,
    },
  };
}

function droppedNote(dropped: string[]): string {
  const names = dropped
    .slice(0, LISTED_DROPPED_HEADERS)
    .map((name) => (name.length > LISTED_NAME_LENGTH ? `${name.slice(0, LISTED_NAME_LENGTH - 1)}…` : name));
  const more = dropped.length > LISTED_DROPPED_HEADERS ? ` and ${dropped.length - LISTED_DROPPED_HEADERS} more` : '';
  return (
    `${dropped.length} header(s) left out of this copy, over the ${CARRIED_HEADERS_BUDGET_BYTES}-byte budget for carried ` +
    `headers: ${names.join(', ')}${more}`
  );
}
