import { randomUUID } from 'node:crypto';
import type { Options } from 'amqplib';
import type { CodecName } from '../codec/codec-registry.js';
import type { Compression } from '../codec/compression.js';

/** What a caller may set per publish. */
export interface PublishOptions {
  /** Defaults to a new UUID; pass one to make a retried publish idempotent downstream. */
  messageId?: string;
  /** Defaults to the current request's correlation id. */
  correlationId?: string;
  headers?: Record<string, unknown>;
  /** Codec of this message: 'json', 'msgpack' or a registered content type; defaults to the module's `encoding.codec`. */
  codec?: CodecName | (string & {});
  /** Compression of this message if it reaches `encoding.compressThresholdBytes`; defaults to the module's `encoding.compression`. */
  compression?: Compression;
  /**
   * Per-message TTL in ms (AMQP `expiration`): not consumed within it, the message leaves its
   * queue (to `<queue>.dlq`, broker-side, `x-death` reason `expired`). It applies to the first
   * wait only: retry and DLQ copies carry no expiration, so a message a handler has started on
   * is never dropped by it.
   */
  expiration?: number;
  /**
   * 0–255; higher is delivered first from a queue with `queueArguments.maxPriority` (classic
   * queues; others ignore it). Retry and DLQ copies keep it.
   */
  priority?: number;
}

/** AMQP's priority is an octet; RabbitMQ's TTLs are unsigned 32-bit. */
const MAX_MESSAGE_PRIORITY = 255;
const MAX_EXPIRATION_MS = 4_294_967_295;

/**
 * Properties of every event: persistent (survives a broker restart), identified (handlers
 * de-duplicate by `messageId`), typed by pattern, and traceable to the request that caused it.
 */
export function buildMessageProperties(input: {
  pattern: string;
  contentType: string;
  /** Set when the body is compressed (gzip, deflate). */
  contentEncoding?: string;
  appId: string;
  correlationId?: string;
  options?: PublishOptions;
}): Options.Publish & { messageId: string } {
  const { expiration, priority } = input.options ?? {};
  if (expiration !== undefined && (!Number.isInteger(expiration) || expiration < 0 || expiration > MAX_EXPIRATION_MS)) {
    throw new TypeError(`publish option expiration must be an integer number of ms from 0 to ${MAX_EXPIRATION_MS}, got ${String(expiration)}`);
  }
  if (priority !== undefined && (!Number.isInteger(priority) || priority < 0 || priority > MAX_MESSAGE_PRIORITY)) {
    throw new TypeError(`publish option priority must be an integer from 0 to ${MAX_MESSAGE_PRIORITY}, got ${String(priority)}`);
  }
  return {
    persistent: true,
    messageId: input.options?.messageId ?? randomUUID(),
    timestamp: Math.floor(Date.now() / 1000),
    type: input.pattern,
    contentType: input.contentType,
    ...(input.contentEncoding ? { contentEncoding: input.contentEncoding } : {}),
    appId: input.appId,
    correlationId: input.options?.correlationId ?? input.correlationId,
    headers: { ...(input.options?.headers ?? {}) },
    // AMQP carries expiration as a string of ms.
    ...(expiration !== undefined ? { expiration: String(expiration) } : {}),
    ...(priority !== undefined ? { priority } : {}),
  };
}
