import {
  DEFAULT_DELIVERY_LIMIT,
  DEFAULT_DEAD_LETTER_MAX_LENGTH,
  DEFAULT_UNROUTED_MAX_LENGTH,
  DEFAULT_UNROUTED_TTL_MS,
  DEFAULT_EVENT_LOOP_DELAY_LIMIT_MS,
  DEFAULT_FLOW_CHECK_INTERVAL_MS,
  DEFAULT_MAX_IN_FLIGHT_BYTES,
  DEFAULT_MAX_PENDING_PUBLISH_BYTES,
  DEFAULT_MAX_PENDING_PUBLISHES,
  DEFAULT_PUBLISH_FAIL_FAST_MS,
  DEFAULT_CONFIRM_STALL_MS,
  MEMORY_HIGH_WATERMARK_RATIO,
  MEMORY_LOW_WATERMARK_RATIO,
  DEFAULT_EVENTS_EXCHANGE,
  DEFAULT_HANDLER_TIMEOUT_MS,
  DEFAULT_MAX_REQUESTS_IN_FLIGHT,
  DEFAULT_REQUEST_TIMEOUT_MS,
  DEFAULT_KILL_SWITCH_COOLDOWN_MS,
  DEFAULT_KILL_SWITCH_FAILURE_RATIO,
  DEFAULT_KILL_SWITCH_WINDOW,
  DEFAULT_HEARTBEAT_SECONDS,
  DEFAULT_MAX_MESSAGE_BYTES,
  DEFAULT_PREFETCH,
  DEFAULT_PUBLISH_TIMEOUT_MS,
  DEFAULT_QUEUE_TYPE,
  DEFAULT_RECONNECT_BASE_MS,
  DEFAULT_RECONNECT_MAX_MS,
  DEFAULT_SHUTDOWN_GRACE_MS,
  DEFAULT_STUCK_CONSUMER_MS,
  MAX_PREFETCH,
  MAX_TIMER_MS,
} from '../rabbitmq.constants.js';
import { InvalidRabbitMQOptionsError } from '../errors/invalid-options.error.js';
import { DEFAULT_RETRY_POLICY, validateRetryPolicy } from '../retry/retry-policy.js';
import { defaultMemoryLimit } from '../flow/memory-limit.js';
import { DEFAULT_CODEC, DEFAULT_COMPRESSION, DEFAULT_COMPRESS_THRESHOLD_BYTES, DEFAULT_MAX_JSON_DEPTH } from '../rabbitmq.constants.js';
import { CodecRegistry } from '../codec/codec-registry.js';
import { COMPRESSIONS } from '../codec/compression.js';
import type { RabbitMQModuleOptions, ResolvedRabbitMQOptions } from './rabbitmq-options.interface.js';
import type { MessageCodec } from '../codec/message-codec.interface.js';

const NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._:-]*$/;

function requireInteger(name: string, value: number, min = 1, max = Number.MAX_SAFE_INTEGER): void {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new InvalidRabbitMQOptionsError(`${name} must be an integer from ${min} to ${max}, got ${String(value)}`);
  }
}

/** Merges defaults once and validates; every message names the offending option. */
export function resolveRabbitMQOptions(options: RabbitMQModuleOptions): ResolvedRabbitMQOptions {
  const memoryLimit = defaultMemoryLimit();
  const resolved: ResolvedRabbitMQOptions = {
    exchange: DEFAULT_EVENTS_EXCHANGE,
    prefetch: DEFAULT_PREFETCH,
    queueType: DEFAULT_QUEUE_TYPE,
    maxMessageBytes: DEFAULT_MAX_MESSAGE_BYTES,
    publishTimeoutMs: DEFAULT_PUBLISH_TIMEOUT_MS,
    heartbeatSeconds: DEFAULT_HEARTBEAT_SECONDS,
    reconnectBaseMs: DEFAULT_RECONNECT_BASE_MS,
    reconnectMaxMs: DEFAULT_RECONNECT_MAX_MS,
    tls: {},
    shutdownGraceMs: DEFAULT_SHUTDOWN_GRACE_MS,
    retry: DEFAULT_RETRY_POLICY,
    handlerTimeoutMs: DEFAULT_HANDLER_TIMEOUT_MS,
    requestTimeoutMs: DEFAULT_REQUEST_TIMEOUT_MS,
    maxRequestsInFlight: DEFAULT_MAX_REQUESTS_IN_FLIGHT,
    deliveryLimit: DEFAULT_DELIVERY_LIMIT,
    deadLetterMaxLength: DEFAULT_DEAD_LETTER_MAX_LENGTH,
    unroutedMaxLength: DEFAULT_UNROUTED_MAX_LENGTH,
    unroutedTtlMs: DEFAULT_UNROUTED_TTL_MS,
    maxInFlightBytes: DEFAULT_MAX_IN_FLIGHT_BYTES,
    memoryHighWatermarkBytes: Math.floor(memoryLimit.bytes * MEMORY_HIGH_WATERMARK_RATIO),
    memoryLowWatermarkBytes: Math.floor(memoryLimit.bytes * MEMORY_LOW_WATERMARK_RATIO),
    // Watermarks given in bytes are RSS unless said otherwise; derived ones go with their limit.
    memoryMeasure: options.memoryHighWatermarkBytes === undefined && options.memoryLowWatermarkBytes === undefined ? memoryLimit.measure : 'rss',
    eventLoopDelayLimitMs: DEFAULT_EVENT_LOOP_DELAY_LIMIT_MS,
    flowCheckIntervalMs: DEFAULT_FLOW_CHECK_INTERVAL_MS,
    maxPendingPublishes: DEFAULT_MAX_PENDING_PUBLISHES,
    maxPendingPublishBytes: DEFAULT_MAX_PENDING_PUBLISH_BYTES,
    publishFailFastMs: DEFAULT_PUBLISH_FAIL_FAST_MS,
    confirmStallMs: DEFAULT_CONFIRM_STALL_MS,
    stuckConsumerMs: DEFAULT_STUCK_CONSUMER_MS,
    readinessMaxQueueDepth: 0,
    codec: DEFAULT_CODEC,
    codecs: [],
    compression: DEFAULT_COMPRESSION,
    compressThresholdBytes: DEFAULT_COMPRESS_THRESHOLD_BYTES,
    maxJsonDepth: DEFAULT_MAX_JSON_DEPTH,
    ...stripUndefined(options),
    killSwitch: {
      window: DEFAULT_KILL_SWITCH_WINDOW,
      failureRatio: DEFAULT_KILL_SWITCH_FAILURE_RATIO,
      cooldownMs: DEFAULT_KILL_SWITCH_COOLDOWN_MS,
      enabled: true,
      ...stripUndefined(options.killSwitch ?? {}),
    },
  } as ResolvedRabbitMQOptions;
  if (!Array.isArray(resolved.urls) || resolved.urls.length === 0) {
    throw new InvalidRabbitMQOptionsError('urls must list at least one amqp:// or amqps:// URL');
  }
  for (const url of resolved.urls) {
    if (!/^amqps?:\/\//.test(url)) {
      throw new InvalidRabbitMQOptionsError('urls must start with amqp:// or amqps://');
    }
  }
  if (!NAME_PATTERN.test(resolved.serviceName ?? '')) {
    throw new InvalidRabbitMQOptionsError(`serviceName must be letters, digits, '.', '_', ':' or '-', got '${resolved.serviceName}'`);
  }
  if (!NAME_PATTERN.test(resolved.exchange)) {
    throw new InvalidRabbitMQOptionsError(`exchange must be a valid exchange name, got '${resolved.exchange}'`);
  }
  requireInteger('prefetch', resolved.prefetch, 1, MAX_PREFETCH);
  if (resolved.queueType !== 'quorum' && resolved.queueType !== 'classic') {
    throw new InvalidRabbitMQOptionsError(`queueType must be 'quorum' or 'classic', got '${resolved.queueType}'`);
  }
  requireInteger('maxMessageBytes', resolved.maxMessageBytes);
  requireInteger('publishTimeoutMs', resolved.publishTimeoutMs, 1, MAX_TIMER_MS);
  requireInteger('heartbeatSeconds', resolved.heartbeatSeconds);
  requireInteger('reconnectBaseMs', resolved.reconnectBaseMs, 1, MAX_TIMER_MS);
  requireInteger('reconnectMaxMs', resolved.reconnectMaxMs, resolved.reconnectBaseMs, MAX_TIMER_MS);
  // 0 is allowed: requeue in-flight messages at once on shutdown.
  requireInteger('shutdownGraceMs', resolved.shutdownGraceMs, 0, MAX_TIMER_MS);
  if (resolved.retry === null || typeof resolved.retry !== 'object') {
    throw new InvalidRabbitMQOptionsError('retry must be an object { attempts, delaysMs }');
  }
  validateRetryPolicy(resolved.retry, 'retry');
  if (typeof resolved.killSwitch.enabled !== 'boolean') {
    throw new InvalidRabbitMQOptionsError(`killSwitch.enabled must be true or false, got ${String(resolved.killSwitch.enabled)}`);
  }
  requireInteger('handlerTimeoutMs', resolved.handlerTimeoutMs, 1, MAX_TIMER_MS);
  requireInteger('requestTimeoutMs', resolved.requestTimeoutMs, 1, MAX_TIMER_MS);
  requireInteger('maxRequestsInFlight', resolved.maxRequestsInFlight);
  requireInteger('deliveryLimit', resolved.deliveryLimit);
  requireInteger('deadLetterMaxLength', resolved.deadLetterMaxLength, 0);
  requireInteger('unroutedMaxLength', resolved.unroutedMaxLength, 0);
  requireInteger('unroutedTtlMs', resolved.unroutedTtlMs, 1, MAX_TIMER_MS);
  requireInteger('killSwitch.window', resolved.killSwitch.window, 1, 10_000);
  requireInteger('killSwitch.cooldownMs', resolved.killSwitch.cooldownMs, 1, MAX_TIMER_MS);
  const ratio = resolved.killSwitch.failureRatio;
  if (typeof ratio !== 'number' || !(ratio > 0 && ratio <= 1)) {
    throw new InvalidRabbitMQOptionsError(`killSwitch.failureRatio must be a number above 0 and at most 1, got ${String(ratio)}`);
  }
  requireInteger('maxInFlightBytes', resolved.maxInFlightBytes);
  requireInteger('memoryHighWatermarkBytes', resolved.memoryHighWatermarkBytes);
  if (options.memoryHighWatermarkBytes !== undefined && options.memoryLowWatermarkBytes === undefined) {
    // Keep the documented hysteresis when only the high mark is given.
    resolved.memoryLowWatermarkBytes = Math.floor((resolved.memoryHighWatermarkBytes * MEMORY_LOW_WATERMARK_RATIO) / MEMORY_HIGH_WATERMARK_RATIO);
  }
  const low = resolved.memoryLowWatermarkBytes;
  if (!Number.isInteger(low) || low < 1 || low >= resolved.memoryHighWatermarkBytes) {
    // Not "from 1 to 0": say which mark is wrong and why (the low mark is where consumption resumes).
    throw new InvalidRabbitMQOptionsError(
      `memoryHighWatermarkBytes (${resolved.memoryHighWatermarkBytes}) must be above memoryLowWatermarkBytes (${String(low)}), ` +
        'and the low mark at least 1; a high mark this small would pause consumption for good',
    );
  }
  if (resolved.memoryMeasure !== 'rss' && resolved.memoryMeasure !== 'heap') {
    throw new InvalidRabbitMQOptionsError(`memoryMeasure must be 'rss' or 'heap', got '${String(resolved.memoryMeasure)}'`);
  }
  requireInteger('eventLoopDelayLimitMs', resolved.eventLoopDelayLimitMs, 1, MAX_TIMER_MS);
  requireInteger('flowCheckIntervalMs', resolved.flowCheckIntervalMs, 1, MAX_TIMER_MS);
  requireInteger('maxPendingPublishes', resolved.maxPendingPublishes);
  requireInteger('maxPendingPublishBytes', resolved.maxPendingPublishBytes);
  requireInteger('publishFailFastMs', resolved.publishFailFastMs, 1, MAX_TIMER_MS);
  requireInteger('confirmStallMs', resolved.confirmStallMs, 1, MAX_TIMER_MS);
  requireInteger('stuckConsumerMs', resolved.stuckConsumerMs);
  requireInteger('readinessMaxQueueDepth', resolved.readinessMaxQueueDepth, 0);
  validateCodecs(resolved);
  // Above ~10,000 the recursive walkers the limit protects overflow anyway.
  requireInteger('maxJsonDepth', resolved.maxJsonDepth, 1, 10_000);
  return resolved;
}

/** codecs must be MessageCodecs, codec one of them (or a built-in name), compression known. */
function validateCodecs(resolved: ResolvedRabbitMQOptions): void {
  if (!Array.isArray(resolved.codecs)) {
    throw new InvalidRabbitMQOptionsError('codecs must be an array of MessageCodec');
  }
  const seen = new Set<string>();
  resolved.codecs.forEach((codec, index) => {
    const candidate = codec as Partial<MessageCodec> | null;
    if (
      !candidate ||
      typeof candidate.contentType !== 'string' ||
      !/^[a-z0-9!#$&^_.+-]+\/[a-z0-9!#$&^_.+-]+$/i.test(candidate.contentType.trim()) ||
      typeof candidate.encode !== 'function' ||
      typeof candidate.decode !== 'function'
    ) {
      throw new InvalidRabbitMQOptionsError(
        `codecs[${index}] must be a MessageCodec: a contentType such as 'application/x-protobuf', encode() and decode()`,
      );
    }
    const type = candidate.contentType.trim().toLowerCase();
    if (seen.has(type)) {
      throw new InvalidRabbitMQOptionsError(`codecs[${index}] repeats the content type '${type}'`);
    }
    seen.add(type);
  });
  if (typeof resolved.codec !== 'string') {
    throw new InvalidRabbitMQOptionsError(`codec must be 'json', 'msgpack' or the content type of a codec in codecs, got ${String(resolved.codec)}`);
  }
  try {
    CodecRegistry.withBuiltins(resolved.codecs).resolve(resolved.codec);
  } catch {
    throw new InvalidRabbitMQOptionsError(`codec must be 'json', 'msgpack' or the content type of a codec in codecs, got '${resolved.codec}'`);
  }
  if (!COMPRESSIONS.includes(resolved.compression)) {
    throw new InvalidRabbitMQOptionsError(
      `compression must be ${COMPRESSIONS.map((c) => `'${c}'`).join(', ')}, got '${String(resolved.compression)}'`,
    );
  }
  requireInteger('compressThresholdBytes', resolved.compressThresholdBytes);
}

function stripUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
