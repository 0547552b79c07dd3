import { inspect } from 'node:util';
// The pure modules, not the admin entry: the dlq CLI prints through this file, and the admin entry
// loads Nest (about a second at every `npm run dlq -- peek`).
import { capText, escapeControlCharacters, redactText, safeText } from '../rabbitmq/admin.js';

/** The library's rule for making text printable, which the logger applies to every value. */
export { escapeControlCharacters };

/**
 * What the logger does to every value before it is written, in both formats: AMQP URL passwords
 * masked, control characters and escapes made visible, length capped. Message ids, routing keys,
 * header text and error messages come from producers and callers; written raw, a `\n` forges a
 * log line and an ANSI escape rewrites the operator's terminal.
 */

/** A log message (or any string inside one) is cut here: one log line, not a copy of a payload. */
export const MAX_LOG_TEXT_CHARS = 4_096;
/** A stack is longer than a message, but still bounded (a message can be embedded in it). */
export const MAX_LOG_STACK_CHARS = 16_384;
/** Nested objects are written this deep, and this many keys or items per level. */
const MAX_DEPTH = 6;
const MAX_ENTRIES = 100;
const MAX_KEY_CHARS = 128;

/** Values under keys like these are masked whatever they hold. */
const SECRET_KEY = /(password|passwd|secret|token|authorization|apikey|cookie)$/;
/** A stack frame line as V8 writes it: the only line of a stack allowed to start a new line. */
const STACK_FRAME = /^\s+at \S/;

/** Redacts, escapes, then caps: the result is one line of at most `maxChars` (plus the cut note). */
export function sanitizeLogText(text: string, maxChars = MAX_LOG_TEXT_CHARS): string {
  return safeText(text, maxChars);
}

/**
 * A stack keeps its frames on their own lines (readable in a terminal), but only lines that look
 * like frames (`    at …`) may start one: anything else, e.g. a newline inside the error message,
 * is escaped onto the line before, so no line of a stack can pass for a log record.
 */
export function sanitizeStack(stack: string): string {
  const lines: string[] = [];
  for (const line of redactText(stack).split('\n')) {
    const safe = escapeControlCharacters(line);
    if (lines.length === 0 || STACK_FRAME.test(line)) {
      lines.push(safe);
    } else {
      lines[lines.length - 1] += `\\n${safe}`;
    }
  }
  return capText(lines.join('\n'), MAX_LOG_STACK_CHARS);
}

/**
 * A copy of `value` safe to log: every string (and key) sanitised, stacks kept frame by frame,
 * secrets under password-like keys masked, errors turned into plain objects, depth and size
 * bounded, cycles cut.
 */
export function sanitizeLogValue(value: unknown): unknown {
  return sanitizeAt(value, 0, new Set());
}

/** One-line text of any message for the text format (errors as their sanitised stack). */
export function logText(message: unknown): string {
  if (typeof message === 'string') {
    return sanitizeLogText(message);
  }
  if (message instanceof Error) {
    return errorText(message);
  }
  const safe = sanitizeLogValue(message);
  return capText(inspect(safe, { depth: MAX_DEPTH, compact: true, breakLength: Infinity, colors: false }), MAX_LOG_TEXT_CHARS);
}

function errorText(error: Error, depth = 0): string {
  const stack = sanitizeStack(typeof error.stack === 'string' ? error.stack : `${error.name}: ${error.message}`);
  // The cause goes on an indented line of our own, so it cannot pass for a log record either.
  return error.cause instanceof Error && depth < 3 ? `${stack}\n    [cause] ${errorText(error.cause, depth + 1)}` : stack;
}

function sanitizeAt(value: unknown, depth: number, seen: Set<object>): unknown {
  if (typeof value === 'string') {
    return sanitizeLogText(value);
  }
  if (value === null || typeof value !== 'object') {
    return typeof value === 'bigint' || typeof value === 'symbol' || typeof value === 'function' ? sanitizeLogText(String(value)) : value;
  }
  if (seen.has(value)) {
    return '[Circular]';
  }
  if (depth >= MAX_DEPTH) {
    return Array.isArray(value) ? '[Array]' : '[Object]';
  }
  if (ArrayBuffer.isView(value) || value instanceof ArrayBuffer) {
    return `[${value.constructor.name} ${value.byteLength} bytes]`; // bytes are not logged
  }
  if (value instanceof Date) {
    return Number.isNaN(value.getTime()) ? 'Invalid Date' : value.toISOString();
  }
  seen.add(value);
  try {
    if (Array.isArray(value)) {
      const items = value.slice(0, MAX_ENTRIES).map((item) => sanitizeAt(item, depth + 1, seen));
      return value.length > MAX_ENTRIES ? [...items, `… ${value.length - MAX_ENTRIES} more items`] : items;
    }
    return sanitizeObject(value, depth, seen);
  } finally {
    seen.delete(value);
  }
}

function sanitizeObject(value: object, depth: number, seen: Set<object>): Record<string, unknown> {
  const entries: [string, unknown][] =
    value instanceof Map ? [...value.entries()].map(([k, v]) => [String(k), v]) : Object.entries(value as Record<string, unknown>);
  if (value instanceof Error) {
    // name, message and stack are not own enumerable properties of an Error.
    entries.unshift(['name', value.name], ['message', value.message], ['stack', value.stack]);
    if (value.cause !== undefined) entries.push(['cause', value.cause]);
  }
  const result: Record<string, unknown> = {};
  for (const [key, item] of entries.slice(0, MAX_ENTRIES)) {
    const safeKey = sanitizeLogText(key, MAX_KEY_CHARS);
    if (SECRET_KEY.test(key.toLowerCase().replace(/[^a-z]/g, '')) && item !== undefined && item !== null && item !== '') {
      result[safeKey] = '***';
    } else if (key === 'stack' && typeof item === 'string') {
      result[safeKey] = sanitizeStack(item);
    } else {
      result[safeKey] = sanitizeAt(item, depth + 1, seen);
    }
  }
  if (entries.length > MAX_ENTRIES) {
    result['…'] = `${entries.length - MAX_ENTRIES} more keys`;
  }
  return result;
}
