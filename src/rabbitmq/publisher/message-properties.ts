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
  /** Codec of this message: 'json', 'msgpack' or a registered content type; defaults to the module's `codec`. */
  codec?: CodecName | (string & {});
  /** Compression of this message if it reaches `compressThresholdBytes`; defaults to the module's `compression`. */
  compression?: Compression;
}

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
  };
}
