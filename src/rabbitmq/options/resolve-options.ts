import {
  DEFAULT_EVENT_LOOP_DELAY_LIMIT_MS,
  DEFAULT_FLOW_CHECK_INTERVAL_MS,
  DEFAULT_MAX_PENDING_PUBLISH_BYTES,
  MEMORY_HIGH_WATERMARK_RATIO,
  MEMORY_LOW_WATERMARK_RATIO,
  DEFAULT_EVENTS_EXCHANGE,
  DEFAULT_KILL_SWITCH_COOLDOWN_MS,
  DEFAULT_KILL_SWITCH_FAILURE_RATIO,
  DEFAULT_KILL_SWITCH_WINDOW,
  DEFAULT_HEARTBEAT_SECONDS,
  DEFAULT_QUEUE_TYPE,
  MAX_TIMER_MS,
} from '../rabbitmq.constants.js';
import { MODULE_OPTION_TABLE, optionProblem } from './module-option-table.js';
import { InvalidRabbitMQOptionsError } from '../errors/invalid-options.error.js';
import { resolveOutboxOptions } from './outbox-options.js';
import { DEFAULT_RETRY_POLICY, validateRetryPolicy } from '../failure/retry-policy.js';
import { defaultMemoryLimit } from '../flow/memory-limit.js';
import { DEFAULT_CODEC, DEFAULT_COMPRESSION } from '../rabbitmq.constants.js';
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
    ...Object.fromEntries(MODULE_OPTION_TABLE.map((row) => [row.option, row.default])),
    exchange: DEFAULT_EVENTS_EXCHANGE,
    queueType: DEFAULT_QUEUE_TYPE,
    heartbeatSeconds: DEFAULT_HEARTBEAT_SECONDS,
    tls: {},
    retry: DEFAULT_RETRY_POLICY,
    memoryHighWatermarkBytes: Math.floor(memoryLimit.bytes * MEMORY_HIGH_WATERMARK_RATIO),
    memoryLowWatermarkBytes: Math.floor(memoryLimit.bytes * MEMORY_LOW_WATERMARK_RATIO),
    // Watermarks given in bytes are RSS unless said otherwise; derived ones go with their limit.
    memoryMeasure: options.memoryHighWatermarkBytes === undefined && options.memoryLowWatermarkBytes === undefined ? memoryLimit.measure : 'rss',
    eventLoopDelayLimitMs: DEFAULT_EVENT_LOOP_DELAY_LIMIT_MS,
    flowCheckIntervalMs: DEFAULT_FLOW_CHECK_INTERVAL_MS,
    maxPendingPublishBytes: DEFAULT_MAX_PENDING_PUBLISH_BYTES,
    codec: DEFAULT_CODEC,
    codecs: [],
    compression: DEFAULT_COMPRESSION,
    allowedReplyQueues: [],
    ...stripUndefined(options),
    killSwitch: {
      window: DEFAULT_KILL_SWITCH_WINDOW,
      failureRatio: DEFAULT_KILL_SWITCH_FAILURE_RATIO,
      cooldownMs: DEFAULT_KILL_SWITCH_COOLDOWN_MS,
      enabled: true,
      ...stripUndefined(options.killSwitch ?? {}),
    },
    outbox: options.outbox === undefined ? undefined : resolveOutboxOptions(options.outbox),
  } as ResolvedRabbitMQOptions;
  if (!Array.isArray(resolved.urls) || resolved.urls.length === 0) {
    throw new InvalidRabbitMQOptionsError('urls must list at least one amqp:// or amqps:// URL');
  }
  for (const url of resolved.urls) {
    if (!/^amqps?:\/\//.test(url)) {
      throw new InvalidRabbitMQOptionsError('urls must start with amqp:// or amqps://');
    }
  }
  // One check per table option, with its bounds and its variable named (module-option-table.ts).
  for (const row of MODULE_OPTION_TABLE) {
    const problem = optionProblem(row, resolved[row.option]);
    if (problem !== undefined) {
      throw new InvalidRabbitMQOptionsError(problem);
    }
  }
  if (resolved.reconnectMaxMs < resolved.reconnectBaseMs) {
    throw new InvalidRabbitMQOptionsError(
      `reconnectMaxMs (RECONNECT_MAX_MS) must be at least reconnectBaseMs (${resolved.reconnectBaseMs}): it caps the growing backoff, got ${resolved.reconnectMaxMs}`,
    );
  }
  if (!NAME_PATTERN.test(resolved.serviceName ?? '')) {
    throw new InvalidRabbitMQOptionsError(`serviceName must be letters, digits, '.', '_', ':' or '-', got '${resolved.serviceName}'`);
  }
  if (!NAME_PATTERN.test(resolved.exchange)) {
    throw new InvalidRabbitMQOptionsError(`exchange must be a valid exchange name, got '${resolved.exchange}'`);
  }
  if (resolved.queueType !== 'quorum' && resolved.queueType !== 'classic') {
    throw new InvalidRabbitMQOptionsError(`queueType must be 'quorum' or 'classic', got '${String(resolved.queueType)}'`);
  }
  requireInteger('heartbeatSeconds', resolved.heartbeatSeconds);
  if (resolved.retry === null || typeof resolved.retry !== 'object') {
    throw new InvalidRabbitMQOptionsError('retry must be an object { attempts, delaysMs }');
  }
  validateRetryPolicy(resolved.retry, 'retry');
  if (typeof resolved.killSwitch.enabled !== 'boolean') {
    throw new InvalidRabbitMQOptionsError(`killSwitch.enabled must be true or false, got ${String(resolved.killSwitch.enabled)}`);
  }
  requireInteger('killSwitch.window', resolved.killSwitch.window, 1, 10_000);
  requireInteger('killSwitch.cooldownMs', resolved.killSwitch.cooldownMs, 1, MAX_TIMER_MS);
  const ratio = resolved.killSwitch.failureRatio;
  if (typeof ratio !== 'number' || !(ratio > 0 && ratio <= 1)) {
    throw new InvalidRabbitMQOptionsError(`killSwitch.failureRatio must be a number above 0 and at most 1, got ${String(ratio)}`);
  }
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
  requireInteger('maxPendingPublishBytes', resolved.maxPendingPublishBytes);
  validateCodecs(resolved);
  if (!Array.isArray(resolved.allowedReplyQueues) || !resolved.allowedReplyQueues.every((queue) => typeof queue === 'string' && queue !== '')) {
    throw new InvalidRabbitMQOptionsError('allowedReplyQueues must be an array of queue names');
  }
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
}

function stripUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
