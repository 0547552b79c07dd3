import { CodecRegistry } from '../codec/codec-registry.js';
import { COMPRESSIONS } from '../codec/compression.js';
import type { MessageCodec } from '../codec/message-codec.interface.js';
import type { OptionNamer, OptionProblem } from '../errors/invalid-options.error.js';
import { retryPolicyProblems } from '../failure/retry-policy.js';
import { MAX_TIMER_MS } from '../rabbitmq.constants.js';
import { INTEGER_BOUNDS, type IntegerBound } from './option-bounds.js';
import { RABBITMQ_DEFAULTS } from './rabbitmq-defaults.js';
import type { ResolvedRabbitMQOptions } from './rabbitmq-options.interface.js';

/** Options whose default is true or false ('consume.killSwitch.enabled', 'outbox.relay'): they must stay so. */
const BOOLEAN_OPTIONS = leafPaths(RABBITMQ_DEFAULTS).filter((path) => typeof valueAt(RABBITMQ_DEFAULTS, path) === 'boolean');

/** Exchange and service names: what the broker accepts in a name and what reads well in a queue name. */
const NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._:-]*$/;

/**
 * The one check of the module's options: every problem, each with the option's path, so the
 * caller can report them all at once and an app can name its own settings instead of the paths.
 */
export function optionProblems(options: ResolvedRabbitMQOptions): OptionProblem[] {
  const problems: OptionProblem[] = [];
  const problem = (path: string, describe: (name: OptionNamer) => string): void => void problems.push({ path, describe });
  const misshapen = groupProblems(RABBITMQ_DEFAULTS, options);
  if (misshapen.length > 0) {
    return misshapen; // the checks below read inside the groups
  }
  if (!Array.isArray(options.urls) || options.urls.length === 0) {
    problem('urls', (name) => `${name('urls')} must list at least one amqp:// or amqps:// URL`);
  } else if (!options.urls.every((url) => /^amqps?:\/\//.test(url))) {
    problem('urls', (name) => `${name('urls')} must start with amqp:// or amqps://`);
  }
  for (const [path, bound] of Object.entries(INTEGER_BOUNDS)) {
    const value = valueAt(options, path);
    if (!(path.startsWith('outbox.') && options.outbox === undefined) && !withinBound(value, bound)) {
      problem(
        path,
        (name) => `${name(path)} must be an integer ${rangeText(bound)}, got ${typeof value === 'string' ? `'${value}'` : String(value)}`,
      );
    }
  }
  for (const path of BOOLEAN_OPTIONS) {
    const value = valueAt(options, path);
    if (!(path.startsWith('outbox.') && options.outbox === undefined) && typeof value !== 'boolean') {
      problem(path, (name) => `${name(path)} must be true or false, got ${String(value)}`);
    }
  }
  atLeast(problems, options, 'connection.reconnectMaxMs', 'connection.reconnectBaseMs', 'it caps the growing backoff');
  if (!NAME_PATTERN.test(options.serviceName ?? '')) {
    problem('serviceName', (name) => `${name('serviceName')} must be letters, digits, '.', '_', ':' or '-', got '${options.serviceName}'`);
  }
  if (!NAME_PATTERN.test(options.exchange ?? '')) {
    problem('exchange', (name) => `${name('exchange')} must be letters, digits, '.', '_', ':' or '-', got '${options.exchange}'`);
  }
  const { consume, flow } = options;
  if (consume.queueType !== 'quorum' && consume.queueType !== 'classic') {
    problem('consume.queueType', (name) => `${name('consume.queueType')} must be 'quorum' or 'classic', got '${String(consume.queueType)}'`);
  }
  problems.push(...retryPolicyProblems(consume.retry, 'consume.retry'));
  const ratio = consume.killSwitch.failureRatio;
  if (typeof ratio !== 'number' || !(ratio > 0 && ratio <= 1)) {
    problem(
      'consume.killSwitch.failureRatio',
      (name) => `${name('consume.killSwitch.failureRatio')} must be a number above 0 and at most 1, got ${String(ratio)}`,
    );
  }
  const { memoryHighWatermarkBytes: high, memoryLowWatermarkBytes: low } = flow;
  if (withinBound(high, INTEGER_BOUNDS['flow.memoryHighWatermarkBytes']) && (!Number.isInteger(low) || low < 1 || low >= high)) {
    // Not "from 1 to 0": say which mark is wrong and why (the low mark is where consumption resumes).
    problem(
      'flow.memoryHighWatermarkBytes',
      (name) =>
        `${name('flow.memoryHighWatermarkBytes')} (${high}) must be above ${name('flow.memoryLowWatermarkBytes')} (${String(low)}), ` +
        'and the low mark at least 1; a high mark this small would pause consumption for good',
    );
  }
  if (flow.memoryMeasure !== 'rss' && flow.memoryMeasure !== 'heap') {
    problem('flow.memoryMeasure', (name) => `${name('flow.memoryMeasure')} must be 'rss' or 'heap', got '${String(flow.memoryMeasure)}'`);
  }
  const replyQueues = options.requests.allowedReplyQueues;
  if (!Array.isArray(replyQueues) || !replyQueues.every((queue) => typeof queue === 'string' && queue !== '')) {
    problem('requests.allowedReplyQueues', (name) => `${name('requests.allowedReplyQueues')} must be an array of queue names`);
  }
  if (options.outbox !== undefined) {
    problems.push(...outboxProblems(options.outbox));
  }
  problems.push(...codecProblems(options.encoding));
  return problems;
}

/** codecs must be MessageCodecs, codec one of them (or a built-in name), compression known. */
function codecProblems(options: ResolvedRabbitMQOptions['encoding']): OptionProblem[] {
  if (!Array.isArray(options.codecs)) {
    return [{ path: 'encoding.codecs', describe: (name) => `${name('encoding.codecs')} must be an array of MessageCodec` }];
  }
  const problems: OptionProblem[] = [];
  const seen = new Set<string>();
  options.codecs.forEach((codec, index) => {
    const path = `encoding.codecs[${index}]`;
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
      path: 'encoding.codec',
      describe: (name) =>
        `${name('encoding.codec')} must be 'json', 'msgpack' or the content type of a codec in ${name('encoding.codecs')}, got ${shown}`,
    });
  }
  if (!COMPRESSIONS.includes(options.compression)) {
    problems.push({
      path: 'encoding.compression',
      describe: (name) =>
        `${name('encoding.compression')} must be ${COMPRESSIONS.map((c) => `'${c}'`).join(', ')}, got '${String(options.compression)}'`,
    });
  }
  return problems;
}

function isKnownCodec(options: ResolvedRabbitMQOptions['encoding']): boolean {
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

/** Every group that is not an object where RABBITMQ_DEFAULTS has one (the optional outbox may be absent). */
function groupProblems(defaults: object, given: object, prefix = ''): OptionProblem[] {
  return [...unknownKeyProblems(defaults, given, prefix), ...knownGroupProblems(defaults, given, prefix)];
}

/** Keys a group takes that have no default: the required options, the outbox's database and hook, TLS's files. */
const KEYS_WITHOUT_DEFAULT: Record<string, readonly string[]> = {
  '': ['urls', 'serviceName'],
  'outbox.': ['database', 'onConfirmed'],
  'connection.tls.': ['caFile', 'certFile', 'keyFile', 'servername'],
};

/**
 * A key no option has is refused, not ignored: a misspelt option, or one written where it was before the options were
 * grouped (`prefetch` for `consume.prefetch`), would otherwise leave its default in force without a word.
 */
function unknownKeyProblems(defaults: object, given: object, prefix: string): OptionProblem[] {
  const known = new Set([...Object.keys(defaults), ...(KEYS_WITHOUT_DEFAULT[prefix] ?? [])]);
  return Object.keys(given)
    .filter((key) => !known.has(key) && (given as Record<string, unknown>)[key] !== undefined)
    .map((key) => {
      const path = `${prefix}${key}`;
      const elsewhere = leafPaths(RABBITMQ_DEFAULTS).find((leaf) => leaf.endsWith(`.${key}`));
      return { path, describe: (name: OptionNamer) => `${name(path)} is not an option${elsewhere ? `: did you mean ${elsewhere}?` : ''}` };
    });
}

function knownGroupProblems(defaults: object, given: object, prefix: string): OptionProblem[] {
  return Object.entries(defaults).flatMap(([key, fallback]) => {
    const path = `${prefix}${key}`;
    const value = (given as Record<string, unknown>)[key];
    if (!isGroup(fallback) || (path === 'outbox' && value === undefined)) {
      return [];
    }
    return isGroup(value)
      ? groupProblems(fallback, value, `${path}.`)
      : [{ path, describe: (name: OptionNamer) => `${name(path)} must be an object of options, got ${String(value)}` }];
  });
}

/** `later` at least `earlier` when both are within their bounds (a cap below its base makes no sense). */
function atLeast(problems: OptionProblem[], options: object, later: string, earlier: string, why: string): void {
  const [max, base] = [valueAt(options, later), valueAt(options, earlier)];
  if (withinBound(max, INTEGER_BOUNDS[later]) && withinBound(base, INTEGER_BOUNDS[earlier]) && max < base) {
    problems.push({ path: later, describe: (name) => `${name(later)} (${max}) must be at least ${name(earlier)} (${base}): ${why}` });
  }
}

/** The outbox's database and retry cap (its integers are in INTEGER_BOUNDS, its flag a boolean option). */
function outboxProblems(outbox: NonNullable<ResolvedRabbitMQOptions['outbox']>): OptionProblem[] {
  const problems: OptionProblem[] = [];
  const database = outbox.database as unknown;
  if (
    typeof database === 'string' ? !/^postgres(ql)?:\/\//.test(database) : typeof (database as { connect?: unknown } | null)?.connect !== 'function'
  ) {
    problems.push({ path: 'outbox.database', describe: (name) => `${name('outbox.database')} must be a pg Pool or a postgres:// connection string` });
  }
  atLeast(problems, { outbox }, 'outbox.retryMaxMs', 'outbox.retryBaseMs', 'it caps the doubling delay');
  return problems;
}

/** Every option path of a group ('consume.killSwitch.window'), lists and empty groups included. */
function leafPaths(node: object, prefix = ''): string[] {
  return Object.entries(node as Record<string, unknown>).flatMap(([key, value]) =>
    isGroup(value) && Object.keys(value).length > 0 ? leafPaths(value, `${prefix}${key}.`) : [`${prefix}${key}`],
  );
}

/** The value at a dotted path such as 'killSwitch.window'. */
function valueAt(options: object, path: string): unknown {
  return path.split('.').reduce<unknown>((value, key) => (value as Record<string, unknown> | undefined)?.[key], options);
}

/** A group of options: a plain object literal (not a list, a codec, a pg Pool). */
export function isGroup(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype;
}
