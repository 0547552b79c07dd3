import { InvalidRabbitMQOptionsError } from '../errors/invalid-options.error.js';
import { defaultMemoryLimit } from '../flow/memory-limit.js';
import { isGroup, optionProblems } from './check-options.js';
import { MEMORY_HIGH_WATERMARK_RATIO, MEMORY_LOW_WATERMARK_RATIO, RABBITMQ_DEFAULTS } from './rabbitmq-defaults.js';
import type { RabbitMQModuleOptions, ResolvedRabbitMQOptions } from './rabbitmq-options.interface.js';

/**
 * The options with RABBITMQ_DEFAULTS spread under them, group by group (an option given as
 * undefined keeps its default; a group given in part, e.g. `consume: { retry: { attempts: 0 } }`,
 * keeps the defaults of the rest), checked once: throws InvalidRabbitMQOptionsError listing every
 * problem by option path. The outbox is the one optional group: absent, it stays off.
 */
export function resolveRabbitMQOptions(options: RabbitMQModuleOptions): ResolvedRabbitMQOptions {
  const merged = spreadUnder(RABBITMQ_DEFAULTS, options) as ResolvedRabbitMQOptions;
  const resolved: ResolvedRabbitMQOptions = {
    ...merged,
    outbox: options.outbox === undefined ? undefined : merged.outbox,
  };
  if (isGroup(resolved.flow)) {
    resolved.flow = { ...resolved.flow, ...memoryWatermarks(options.flow ?? {}) };
  }
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
  flow: NonNullable<RabbitMQModuleOptions['flow']>,
): Pick<ResolvedRabbitMQOptions['flow'], 'memoryHighWatermarkBytes' | 'memoryLowWatermarkBytes' | 'memoryMeasure'> {
  const { memoryHighWatermarkBytes: high, memoryLowWatermarkBytes: low, memoryMeasure } = flow;
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

/**
 * `{ ...defaults, ...given }`, and the same inside every group (a plain object among the
 * defaults) given as a plain object. Anything else given for a group (a number, null) is kept
 * for the check to refuse; a list is given whole.
 */
function spreadUnder(defaults: object, given: object): object {
  const merged: Record<string, unknown> = { ...defaults };
  for (const [key, value] of Object.entries(given)) {
    if (value !== undefined) {
      const fallback = merged[key];
      merged[key] = isGroup(fallback) && isGroup(value) ? spreadUnder(fallback, value) : value;
    }
  }
  return merged;
}
