import type { DeadLetterListing, PeekResult, UnroutedDepth } from '../rabbitmq/dlq/dead-letter-admin.js';
import type { ParkedMessage } from '../rabbitmq/dlq/parked-message.js';
import { formatDeath } from '../rabbitmq/wire/x-death.js';

/** Plain-text renderings of the dlq command's results, for a terminal or a log. */

/** `QUEUE  DLQ  MESSAGES` table; a DLQ that does not exist shows `-` (never declared). */
export function formatListing(listings: DeadLetterListing[], unrouted?: UnroutedDepth): string {
  const rows: string[][] = [['QUEUE', 'DLQ', 'MESSAGES']];
  for (const listing of listings) {
    rows.push([listing.queue, listing.dlq, count(listing.messages)]);
  }
  if (unrouted) {
    rows.push([`${unrouted.exchange} (unrouted)`, unrouted.queue, count(unrouted.messages)]);
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
  const header = `${result.dlq}: showing ${result.messages.length} of ${result.depth} message(s) (nothing removed)`;
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
    lines.push(`  x-death: ${formatDeath(death)}`);
  }
  const size = message.bodyTruncated ? ` (first part of ${message.bodyBytes} bytes)` : '';
  lines.push(`  body${size}: ${printable(message.body)}`);
  return lines.join('\n');
}

function count(messages: number | null): string {
  return messages === null ? '- (no such queue)' : String(messages);
}

/**
 * Parked messages are untrusted input: control characters (newlines, terminal escape
 * sequences) are shown escaped so a body can neither break the layout nor drive the terminal.
 */
export function printable(text: string): string {
  // eslint-disable-next-line no-control-regex -- finding control characters is the point
  return text.replace(/[\u0000-\u001f\u007f-\u009f]/g, (char) => {
    if (char === '\n') {
      return '\\n';
    }
    if (char === '\t') {
      return '\\t';
    }
    return `\\x${char.charCodeAt(0).toString(16).padStart(2, '0')}`;
  });
}
