import { describe, expect, it } from '@jest/globals';
import { readTraceHeaders, writeTraceHeaders } from './trace-headers.js';

const TRACEPARENT = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';

describe('readTraceHeaders', () => {
  it('takes a valid traceparent with its tracestate and baggage, unchanged', () => {
    expect(readTraceHeaders({ traceparent: TRACEPARENT, tracestate: 'rojo=00f067aa0ba902b7,congo=t61rcWkgMzE', baggage: 'tenant=acme' })).toEqual({
      traceparent: TRACEPARENT,
      tracestate: 'rojo=00f067aa0ba902b7,congo=t61rcWkgMzE',
      baggage: 'tenant=acme',
    });
  });

  it('accepts a later version with an extra field (W3C forward compatibility)', () => {
    expect(readTraceHeaders({ traceparent: `cc-${TRACEPARENT.slice(3)}-what-the-future-will-be` })?.traceparent).toBe(
      `cc-${TRACEPARENT.slice(3)}-what-the-future-will-be`,
    );
  });

  it('refuses a missing, malformed, uppercase or non-string traceparent, and then drops tracestate and baggage', () => {
    for (const traceparent of [undefined, '', 'garbage', TRACEPARENT.toUpperCase(), `${TRACEPARENT}\r\nx-evil: 1`, Buffer.from(TRACEPARENT), 42]) {
      expect(readTraceHeaders({ traceparent, tracestate: 'a=b', baggage: 'k=v' })).toBeUndefined();
    }
    expect(readTraceHeaders(undefined)).toBeUndefined();
  });

  it('refuses what W3C Trace Context calls invalid: version ff, an all-zero trace or parent id, extra fields on version 00', () => {
    const [, traceId, parentId, flags] = TRACEPARENT.split('-');
    for (const traceparent of [
      `ff-${traceId}-${parentId}-${flags}`,
      `00-${'0'.repeat(32)}-${parentId}-${flags}`,
      `00-${traceId}-${'0'.repeat(16)}-${flags}`,
      `cc-${'0'.repeat(32)}-${parentId}-${flags}`,
      `${TRACEPARENT}-extra`,
    ]) {
      expect(readTraceHeaders({ traceparent, baggage: 'k=v' })).toBeUndefined();
    }
  });

  it('keeps a baggage of 180 members and drops one of 181 (W3C Baggage limits), keeping the traceparent', () => {
    const members = (n: number) => Array.from({ length: n }, (_, i) => `k${i}=v`).join(',');
    expect(readTraceHeaders({ traceparent: TRACEPARENT, baggage: members(180) })?.baggage).toBe(members(180));
    expect(readTraceHeaders({ traceparent: TRACEPARENT, baggage: members(181) })).toEqual({ traceparent: TRACEPARENT });
    expect(readTraceHeaders({ traceparent: TRACEPARENT, baggage: members(1000) })).toEqual({ traceparent: TRACEPARENT });
  });

  it('leaves out an over-long or non-printable tracestate or baggage, keeping the traceparent', () => {
    expect(readTraceHeaders({ traceparent: TRACEPARENT, tracestate: 'a'.repeat(513), baggage: 'k=v\r\nx' })).toEqual({ traceparent: TRACEPARENT });
    expect(readTraceHeaders({ traceparent: TRACEPARENT, baggage: 'k=v,'.repeat(2048) + 'x' })).toEqual({ traceparent: TRACEPARENT });
  });
});

describe('writeTraceHeaders', () => {
  it('writes the headers, but never over a traceparent the caller set', () => {
    const headers: Record<string, unknown> = {};
    writeTraceHeaders(headers, { traceparent: TRACEPARENT, tracestate: 'a=b' });
    expect(headers).toEqual({ traceparent: TRACEPARENT, tracestate: 'a=b' });
    const own = { traceparent: 'mine' };
    writeTraceHeaders(own, { traceparent: TRACEPARENT, baggage: 'k=v' });
    expect(own).toEqual({ traceparent: 'mine' });
  });
});
