import { type DeadLetterListing, formatDeath, type ParkedMessage, type PeekResult, type UnroutedDepth } from '../rabbitmq/admin.js';
// A Nest-free module, not the admin entry's value exports: the CLI starts without loading Nest (see dlq.ts).
import { sanitizeLogText } from '../logging/log-sanitizer.js';

/**
 * Plain-text renderings of the dlq command's results, for a terminal or a log. Every field comes
 * from the broker or from producers (header values, `x-death` tables, bodies, queue names), so
 * each is printed through `printable`: written raw, an ESC clears the screen, an OSC sequence
 * ended by BEL retitles the window, a newline forges a header line, a bidi control reorders it.
 */

/** `QUEUE  DLQ  MESSAGES` table; a DLQ that does not exist shows `-` (never declared). */
export function formatListing(listings: DeadLetterListing[], unrouted?: UnroutedDepth): string {
  const rows: string[][] = [['QUEUE', 'DLQ', 'MESSAGES']];
  for (const listing of listings) {
    rows.push([printable(listing.queue), printable(listing.dlq), count(listing.messages)]);
  }
  if (unrouted) {
    rows.push([`${printable(unrouted.exchange)} (unrouted)`, printable(unrouted.queue), count(unrouted.messages)]);
  }
  const widths = rows[0].map((_, column) => Math.max(...rows.map((row) => row[column].length)));
  return rows
    .map((row) =>
      row
        .map((cell, column) => cell.padEnd(widths[column]))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

/** One block per message: id, reason headers, history, body preview. */
export function formatPeek(result: PeekResult): string {
  const header = `${printable(result.dlq)}: showing ${result.messages.length} of ${result.depth} message(s) (nothing removed)`;
  return [header, ...result.messages.map((message, index) => formatParked(message, index + 1))].join('\n\n');
}

function formatParked(message: ParkedMessage, position: number): string {
  const lines = [`#${position} messageId: ${printable(message.messageId ?? '-')}`];
  const fields: [string, string | number | undefined][] = [
    ['x-error-type', message.errorType],
    ['x-error-message', message.errorMessage],
    ['x-failed-at', message.failedAt],
    ['x-retry-count', message.retryCount],
    ['x-handler', message.handler],
    ['x-original-routing-key', message.originalRoutingKey],
    ['x-replayed-at', message.replayedAt],
    ['x-last-error-type', message.lastErrorType],
    ['x-delivery-count', message.deliveryCount],
    ['content-type', message.contentType],
  ];
  for (const [name, value] of fields) {
    if (value !== undefined) {
      lines.push(`  ${name}: ${printable(String(value))}`);
    }
  }
  for (const death of message.deaths) {
    lines.push(`  x-death: ${printable(formatDeath(death))}`);
  }
  const size = message.bodyTruncated ? ` (first part of ${message.bodyBytes} bytes)` : '';
  // The preview is already cut at PEEK_BODY_PREVIEW_BYTES: shown whole, escapes included.
  lines.push(`  body${size}: ${printable(message.body, Number.POSITIVE_INFINITY)}`);
  return lines.join('\n');
}

function count(messages: number | null): string {
  return messages === null ? '- (no such queue)' : String(messages);
}

/**
 * One field as the log sanitiser writes it (one place for the rules): passwords of AMQP URLs
 * masked, every control, line separator and bidi character escaped visibly, length capped.
 */
export function printable(text: string, maxChars?: number): string {
  return sanitizeLogText(text, maxChars);
}
