import { CodecRegistry } from '../codec/codec-registry.js';
import { COMPRESSIONS } from '../codec/compression.js';
import type { MessageCodec } from '../codec/message-codec.interface.js';
import type { OptionNamer, OptionProblem } from '../errors/invalid-options.error.js';
import { retryPolicyProblems } from '../failure/retry-policy.js';
import { MAX_TIMER_MS } from '../rabbitmq.constants.js';
import { INTEGER_BOUNDS, type IntegerBound } from './rabbitmq-defaults.js';
import type { ResolvedRabbitMQOptions } from './rabbitmq-options.interface.js';

/** Exchange and service names: what the broker accepts in a name and what reads well in a queue name. */
const NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._:-]*$/;

/**
 * The one check of the module's options: every problem, each with the option's path, so the
 * caller can report them all at once and an app can name its own settings instead of the paths.
 */
export function optionProblems(options: ResolvedRabbitMQOptions): OptionProblem[] {
  const problems: OptionProblem[] = [];
  const problem = (path: string, describe: (name: OptionNamer) => string): void => void problems.push({ path, describe });
  if (!Array.isArray(options.urls) || options.urls.length === 0) {
    problem('urls', (name) => `${name('urls')} must list at least one amqp:// or amqps:// URL`);
  } else if (!options.urls.every((url) => /^amqps?:\/\//.test(url))) {
    problem('urls', (name) => `${name('urls')} must start with amqp:// or amqps://`);
  }
  for (const [path, bound] of Object.entries(INTEGER_BOUNDS)) {
    const value = valueAt(options, path);
    if (!withinBound(value, bound)) {
      problem(
        path,
        (name) => `${name(path)} must be an integer ${rangeText(bound)}, got ${typeof value === 'string' ? `'${value}'` : String(value)}`,
      );
    }
  }
  const { reconnectBaseMs: base, reconnectMaxMs: max } = options;
  if (withinBound(base, INTEGER_BOUNDS.reconnectBaseMs) && withinBound(max, INTEGER_BOUNDS.reconnectMaxMs) && max < base) {
    problem(
      'reconnectMaxMs',
      (name) => `${name('reconnectMaxMs')} (${max}) must be at least ${name('reconnectBaseMs')} (${base}): it caps the growing backoff`,
    );
  }
  if (!NAME_PATTERN.test(options.serviceName ?? '')) {
    problem('serviceName', (name) => `${name('serviceName')} must be letters, digits, '.', '_', ':' or '-', got '${options.serviceName}'`);
  }
  if (!NAME_PATTERN.test(options.exchange ?? '')) {
    problem('exchange', (name) => `${name('exchange')} must be letters, digits, '.', '_', ':' or '-', got '${options.exchange}'`);
  }
  if (options.queueType !== 'quorum' && options.queueType !== 'classic') {
    problem('queueType', (name) => `${name('queueType')} must be 'quorum' or 'classic', got '${String(options.queueType)}'`);
  }
  if (options.retry === null || typeof options.retry !== 'object') {
    problem('retry', (name) => `${name('retry')} must be an object { attempts, delaysMs }`);
  } else {
    problems.push(...retryPolicyProblems(options.retry, 'retry'));
  }
  if (typeof options.killSwitch.enabled !== 'boolean') {
    problem('killSwitch.enabled', (name) => `${name('killSwitch.enabled')} must be true or false, got ${String(options.killSwitch.enabled)}`);
  }
  const ratio = options.killSwitch.failureRatio;
  if (typeof ratio !== 'number' || !(ratio > 0 && ratio <= 1)) {
    problem('killSwitch.failureRatio', (name) => `${name('killSwitch.failureRatio')} must be a number above 0 and at most 1, got ${String(ratio)}`);
  }
  const { memoryHighWatermarkBytes: high, memoryLowWatermarkBytes: low } = options;
  if (withinBound(high, INTEGER_BOUNDS.memoryHighWatermarkBytes) && (!Number.isInteger(low) || low < 1 || low >= high)) {
    // Not "from 1 to 0": say which mark is wrong and why (the low mark is where consumption resumes).
    problem(
      'memoryHighWatermarkBytes',
      (name) =>
        `${name('memoryHighWatermarkBytes')} (${high}) must be above ${name('memoryLowWatermarkBytes')} (${String(low)}), ` +
        'and the low mark at least 1; a high mark this small would pause consumption for good',
    );
  }
  if (options.memoryMeasure !== 'rss' && options.memoryMeasure !== 'heap') {
    problem('memoryMeasure', (name) => `${name('memoryMeasure')} must be 'rss' or 'heap', got '${String(options.memoryMeasure)}'`);
  }
  if (!Array.isArray(options.allowedReplyQueues) || !options.allowedReplyQueues.every((queue) => typeof queue === 'string' && queue !== '')) {
    problem('allowedReplyQueues', (name) => `${name('allowedReplyQueues')} must be an array of queue names`);
  }
  problems.push(...codecProblems(options));
  return problems;
}

/** codecs must be MessageCodecs, codec one of them (or a built-in name), compression known. */
function codecProblems(options: ResolvedRabbitMQOptions): OptionProblem[] {
  if (!Array.isArray(options.codecs)) {
    return [{ path: 'codecs', describe: (name) => `${name('codecs')} must be an array of MessageCodec` }];
  }
  const problems: OptionProblem[] = [];
  const seen = new Set<string>();
  options.codecs.forEach((codec, index) => {
    const path = `codecs[${index}]`;
    const candidate = codec as Partial<MessageCodec> | null;
    if (
      !candidate ||
      typeof candidate.contentType !== 'string' ||
      !/^[a-z0-9!#$&^_.+-]+\/[a-z0-9!#$&^_.+-]+$/i.test(candidate.contentType.trim()) ||
      typeof candidate.encode !== 'function' ||
      typeof candidate.decode !== 'function'
    ) {
      problems.push({
        path,
        describe: (name) => `${name(path)} must be a MessageCodec: a contentType such as 'application/x-protobuf', encode() and decode()`,
      });
      return;
    }
    const type = candidate.contentType.trim().toLowerCase();
    if (seen.has(type)) {
      problems.push({ path, describe: (name) => `${name(path)} repeats the content type '${type}'` });
    }
    seen.add(type);
  });
  if (problems.length === 0 && !isKnownCodec(options)) {
    const shown = typeof options.codec === 'string' ? `'${options.codec}'` : String(options.codec);
    problems.push({
      path: 'codec',
      describe: (name) => `${name('codec')} must be 'json', 'msgpack' or the content type of a codec in ${name('codecs')}, got ${shown}`,
    });
  }
  if (!COMPRESSIONS.includes(options.compression)) {
    problems.push({
      path: 'compression',
      describe: (name) => `${name('compression')} must be ${COMPRESSIONS.map((c) => `'${c}'`).join(', ')}, got '${String(options.compression)}'`,
    });
  }
  return problems;
}

function isKnownCodec(options: ResolvedRabbitMQOptions): boolean {
  if (typeof options.codec !== 'string') {
    return false;
  }
  try {
    CodecRegistry.withBuiltins(options.codecs).resolve(options.codec);
    return true;
  } catch {
    return false;
  }
}

function withinBound(value: unknown, { min, max = Number.MAX_SAFE_INTEGER }: IntegerBound): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= min && value <= max;
}

/** "from 1 to 10000 (0 would mean unbounded)", durations with the reason for their ceiling. */
export function rangeText({ min, max = Number.MAX_SAFE_INTEGER, note }: IntegerBound): string {
  const notes = [note, max === MAX_TIMER_MS ? 'about 24.8 days, the longest timer Node.js accepts' : undefined].filter(Boolean);
  return `from ${min} to ${max}${notes.length > 0 ? ` (${notes.join('; ')})` : ''}`;
}

/** The value at a dotted path such as 'killSwitch.window'. */
function valueAt(options: object, path: string): unknown {
  return path.split('.').reduce<unknown>((value, key) => (value as Record<string, unknown> | undefined)?.[key], options);
}
