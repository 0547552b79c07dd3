/**
 * W3C Trace Context and Baggage on the wire: the AMQP header names (the same as the HTTP ones,
 * as every OpenTelemetry messaging instrumentation writes them) and a reader that takes only
 * plain, bounded values, because they are copied onto every event published on their behalf.
 */
export const TRACEPARENT_HEADER = 'traceparent';
export const TRACESTATE_HEADER = 'tracestate';
export const BAGGAGE_HEADER = 'baggage';
/**
 * Set on the copy of a message whose first attempt failed: the `traceparent` of that attempt's
 * process span, so every retry's process span links to it.
 */
export const FIRST_ATTEMPT_HEADER = 'x-first-attempt-traceparent';

/** The trace headers of one request or message, as received. */
export interface TraceHeaders {
  traceparent: string;
  tracestate?: string;
  baggage?: string;
}

// version-traceid-parentid-flags; a later version may append fields after a dash (W3C §3.3), version 00 may not.
const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-[0-9a-f]{2}(-[\x21-\x7e]{1,64})?$/;
/** W3C Trace Context: version `ff` is invalid, and so is a trace id or parent id of all zeros. */
const INVALID_VERSION = 'ff';
const ALL_ZEROS = /^0+$/;
// Printable ASCII and spaces only: no CR/LF or escapes can reach a header or a log line.
const PLAIN_TEXT = /^[\x20-\x7e]*$/;
/** W3C: vendors must propagate at least 512 characters of tracestate. */
const MAX_TRACESTATE_LENGTH = 512;
/** W3C Baggage: at most 8192 bytes in total (printable ASCII only here, so characters are bytes). */
const MAX_BAGGAGE_LENGTH = 8192;
/** W3C Baggage: at most 180 list members; a longer list is dropped whole, never cut. */
const MAX_BAGGAGE_MEMBERS = 180;

/**
 * The trace headers of a request's or a message's headers, or undefined when there is no valid
 * `traceparent` (then `tracestate` and baggage are meaningless and dropped, as W3C says).
 * Over-long or non-printable `tracestate`/`baggage` values are left out, and so is a `baggage`
 * over W3C's limits (180 members, 8192 bytes): it would be copied onto every onward event.
 */
export function readTraceHeaders(headers: Readonly<Record<string, unknown>> | undefined): TraceHeaders | undefined {
  const traceparent = headers?.[TRACEPARENT_HEADER];
  if (typeof traceparent !== 'string' || !isValidTraceparent(traceparent)) {
    return undefined;
  }
  const tracestate = plain(headers?.[TRACESTATE_HEADER], MAX_TRACESTATE_LENGTH);
  const baggage = withinBaggageLimits(plain(headers?.[BAGGAGE_HEADER], MAX_BAGGAGE_LENGTH));
  return {
    traceparent,
    ...(tracestate === undefined ? {} : { tracestate }),
    ...(baggage === undefined ? {} : { baggage }),
  };
}

/** Writes `trace` into `headers` unless the caller already set a `traceparent` of its own. */
export function writeTraceHeaders(headers: Record<string, unknown>, trace: TraceHeaders): void {
  if (headers[TRACEPARENT_HEADER] !== undefined) {
    return;
  }
  headers[TRACEPARENT_HEADER] = trace.traceparent;
  if (trace.tracestate !== undefined) {
    headers[TRACESTATE_HEADER] = trace.tracestate;
  }
  if (trace.baggage !== undefined) {
    headers[BAGGAGE_HEADER] = trace.baggage;
  }
}

function isValidTraceparent(value: string): boolean {
  const fields = TRACEPARENT.exec(value);
  if (fields === null) {
    return false;
  }
  const [, version, traceId, parentId, extra] = fields;
  return version !== INVALID_VERSION && !(version === '00' && extra !== undefined) && !ALL_ZEROS.test(traceId) && !ALL_ZEROS.test(parentId);
}

function withinBaggageLimits(baggage: string | undefined): string | undefined {
  // Already at most 8192 characters (plain()): splitting it is cheap.
  return baggage !== undefined && baggage.split(',').length <= MAX_BAGGAGE_MEMBERS ? baggage : undefined;
}

function plain(value: unknown, maxLength: number): string | undefined {
  return typeof value === 'string' && value.length > 0 && value.length <= maxLength && PLAIN_TEXT.test(value) ? value : undefined;
}
