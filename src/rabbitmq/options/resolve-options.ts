import { InvalidRabbitMQOptionsError } from '../errors/invalid-options.error.js';
import { defaultMemoryLimit } from '../flow/memory-limit.js';
import { optionProblems } from './check-options.js';
import { resolveOutboxOptions } from './outbox-options.js';
import { MEMORY_HIGH_WATERMARK_RATIO, MEMORY_LOW_WATERMARK_RATIO, RABBITMQ_DEFAULTS } from './rabbitmq-defaults.js';
import type { RabbitMQModuleOptions, ResolvedRabbitMQOptions } from './rabbitmq-options.interface.js';

/**
 * The options with RABBITMQ_DEFAULTS spread under them (an option given as undefined keeps its
 * default; a group given in part, e.g. `retry: { attempts: 0 }`, keeps the defaults of the rest),
 * checked once: throws InvalidRabbitMQOptionsError listing every problem by option path.
 */
export function resolveRabbitMQOptions(options: RabbitMQModuleOptions): ResolvedRabbitMQOptions {
  const resolved: ResolvedRabbitMQOptions = {
    ...RABBITMQ_DEFAULTS,
    ...(stripUndefined(options) as RabbitMQModuleOptions),
    killSwitch: group(RABBITMQ_DEFAULTS.killSwitch, options.killSwitch),
    retry: group(RABBITMQ_DEFAULTS.retry, options.retry),
    tls: group(RABBITMQ_DEFAULTS.tls, options.tls),
    ...memoryWatermarks(options),
    outbox: options.outbox === undefined ? undefined : resolveOutboxOptions(options.outbox),
  };
  const problems = optionProblems(resolved);
  if (problems.length > 0) {
    throw InvalidRabbitMQOptionsError.of(problems);
  }
  return resolved;
}

/**
 * The watermarks not given, derived from the memory limit (container, else V8 heap) and compared
 * with the measure that goes with it; given in bytes they are RSS unless said otherwise. With
 * only the high mark given, the low one keeps the default hysteresis.
 */
function memoryWatermarks(
  options: RabbitMQModuleOptions,
): Pick<ResolvedRabbitMQOptions, 'memoryHighWatermarkBytes' | 'memoryLowWatermarkBytes' | 'memoryMeasure'> {
  const { memoryHighWatermarkBytes: high, memoryLowWatermarkBytes: low, memoryMeasure } = options;
  if (high === undefined && low === undefined) {
    const limit = defaultMemoryLimit();
    return {
      memoryHighWatermarkBytes: Math.floor(limit.bytes * MEMORY_HIGH_WATERMARK_RATIO),
      memoryLowWatermarkBytes: Math.floor(limit.bytes * MEMORY_LOW_WATERMARK_RATIO),
      memoryMeasure: memoryMeasure ?? limit.measure,
    };
  }
  const highMark = high ?? Math.floor(defaultMemoryLimit().bytes * MEMORY_HIGH_WATERMARK_RATIO);
  return {
    memoryHighWatermarkBytes: highMark,
    memoryLowWatermarkBytes: low ?? Math.floor((highMark * MEMORY_LOW_WATERMARK_RATIO) / MEMORY_HIGH_WATERMARK_RATIO),
    memoryMeasure: memoryMeasure ?? 'rss',
  };
}

/** A group's defaults under what was given of it; anything but an object is kept for the check to refuse. */
function group<T extends object>(defaults: T, given: Partial<T> | undefined): T {
  return given !== null && typeof given === 'object' && !Array.isArray(given)
    ? { ...defaults, ...stripUndefined(given) }
    : ((given === undefined ? defaults : given) as T);
}

function stripUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
