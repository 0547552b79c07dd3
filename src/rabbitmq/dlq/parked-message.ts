import type { Message } from 'amqplib';
import {
  HEADER_ERROR_MESSAGE,
  HEADER_ERROR_TYPE,
  HEADER_FAILED_AT,
  HEADER_HANDLER,
  HEADER_LAST_ERROR_TYPE,
  HEADER_ORIGINAL_ROUTING_KEY,
  HEADER_REPLAYED_AT,
  HEADER_RETRY_COUNT,
} from '../wire/message-headers.js';
import { PEEK_BODY_PREVIEW_BYTES } from './dead-letter.constants.js';
import { headerText } from '../wire/header-text.js';
import { type DeathRecord, readDeaths } from '../wire/x-death.js';

const IDENTITY_ENCODINGS = new Set(['', 'identity']);

/** What an operator needs to see of one parked message (see DeadLetterAdmin.peek). */
export interface ParkedMessage {
  messageId?: string;
  /** `x-error-type`: the error class or classification (DecodeError, ValidationError, …). */
  errorType?: string;
  /** `x-error-message`, already truncated by the transport. */
  errorMessage?: string;
  /** `x-failed-at`, ISO 8601. */
  failedAt?: string;
  /** `x-retry-count`: retries made before it was parked. */
  retryCount?: number;
  /** `x-handler`: which handler gave up on it. */
  handler?: string;
  /** `x-original-routing-key`: the event pattern it was published with. */
  originalRoutingKey?: string;
  /** `x-replayed-at` / `x-last-error-type`: set when it was replayed before and failed again. */
  replayedAt?: string;
  lastErrorType?: string;
  /** The broker's `x-death` history (retry round trips, delivery-limit backstop). */
  deaths: DeathRecord[];
  /** Quorum queues count deliveries, peeks included (`x-delivery-count`). */
  deliveryCount?: number;
  redelivered: boolean;
  contentType?: string;
  contentEncoding?: string;
  timestamp?: number;
  /** Size of the whole body. */
  bodyBytes: number;
  /** The body as UTF-8 text, cut at `PEEK_BODY_PREVIEW_BYTES`; a placeholder when compressed. */
  body: string;
  bodyTruncated: boolean;
}

/** Reads the reason headers and a display-sized body preview of a parked message. */
export function describeParkedMessage(message: Message, previewBytes = PEEK_BODY_PREVIEW_BYTES): ParkedMessage {
  const { properties, content } = message;
  const headers = properties.headers ?? {};
  const preview = bodyPreview(content, headerText(properties.contentEncoding), previewBytes);
  return {
    messageId: headerText(properties.messageId),
    errorType: headerText(headers[HEADER_ERROR_TYPE]),
    errorMessage: headerText(headers[HEADER_ERROR_MESSAGE]),
    failedAt: headerText(headers[HEADER_FAILED_AT]),
    retryCount: numberOrUndefined(headers[HEADER_RETRY_COUNT]),
    handler: headerText(headers[HEADER_HANDLER]),
    originalRoutingKey: headerText(headers[HEADER_ORIGINAL_ROUTING_KEY]),
    replayedAt: headerText(headers[HEADER_REPLAYED_AT]),
    lastErrorType: headerText(headers[HEADER_LAST_ERROR_TYPE]),
    deaths: readDeaths(message),
    deliveryCount: numberOrUndefined(headers['x-delivery-count']),
    redelivered: message.fields.redelivered,
    contentType: headerText(properties.contentType),
    contentEncoding: headerText(properties.contentEncoding),
    timestamp: numberOrUndefined(properties.timestamp),
    bodyBytes: content.length,
    ...preview,
  };
}

/**
 * A compressed body would print as noise, so it is only described. Text is cut at a byte
 * budget without splitting a UTF-8 character (the streaming decoder holds back a partial one).
 */
function bodyPreview(content: Buffer, encoding: string | undefined, maxBytes: number): { body: string; bodyTruncated: boolean } {
  if (!IDENTITY_ENCODINGS.has((encoding ?? '').toLowerCase())) {
    return { body: `<${content.length} bytes, content-encoding ${encoding}>`, bodyTruncated: false };
  }
  if (content.length <= maxBytes) {
    return { body: content.toString('utf8'), bodyTruncated: false };
  }
  const body = new TextDecoder('utf-8').decode(content.subarray(0, maxBytes), { stream: true });
  return { body, bodyTruncated: true };
}

function numberOrUndefined(value: unknown): number | undefined {
  if (value === undefined || value === null) {
    return undefined;
  }
  const number = Number(value);
  return Number.isFinite(number) ? number : undefined;
}
