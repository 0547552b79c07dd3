import { redactText } from '../logging/redact-url.js';

/**
 * Text that came from outside (a producer's header, a requester's correlationId, a remote
 * handler's error) made safe to show: AMQP URL passwords masked, control characters and escapes
 * made visible, length capped. The service's logger (src/logging/log-sanitizer.ts) and the dlq
 * CLI write every value through these same rules, so a text is treated alike wherever it ends up.
 * A pure module (no Nest): the CLI imports it directly.
 */

/**
 * C0 and C1 controls (NEL U+0085 among them), DEL, the Unicode line/paragraph separators and the
 * bidirectional controls: embeddings and overrides (U+202A–202E), isolates (U+2066–2069) and the
 * marks (LRM/RLM U+200E/200F, ALM U+061C), which reorder what a terminal shows. Escaping ESC
 * (U+001B) neutralises every ANSI sequence, BEL (U+0007) the end of a window-title one.
 */
// eslint-disable-next-line no-control-regex -- finding control characters is the point
const UNSAFE_CHARACTER = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;
const SHORT_ESCAPES: Readonly<Record<string, string>> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };

/** Makes every unsafe character visible: a newline becomes the two characters `\n`, ESC `\u001b`. */
export function escapeControlCharacters(text: string): string {
  return text.replace(UNSAFE_CHARACTER, (c) => SHORT_ESCAPES[c] ?? `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** Cuts `text` at `maxChars`, saying how much was cut. */
export function capText(text: string, maxChars: number): string {
  return text.length <= maxChars ? text : `${text.slice(0, maxChars)}… (${text.length - maxChars} more characters)`;
}

/** Redacts, escapes, then caps: one line of at most `maxChars` (plus the cut note). */
export function safeText(text: string, maxChars: number): string {
  // Redact the whole text first: cutting first could leave half a URL whose password is not masked.
  return capText(escapeControlCharacters(redactText(text)), maxChars);
}
