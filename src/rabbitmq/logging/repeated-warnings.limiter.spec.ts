import { afterEach, beforeEach, describe, expect, it, jest } from '@jest/globals';
import { isRepeatSummary, RepeatedWarningsLimiter, warningReason } from './repeated-warnings.limiter.js';

describe('RepeatedWarningsLimiter', () => {
  let emitted: { text: string; context: string | undefined }[];
  beforeEach(() => {
    jest.useFakeTimers();
    emitted = [];
  });
  afterEach(() => {
    jest.useRealTimers();
  });

  function limiter(maxReasons = 1000): RepeatedWarningsLimiter {
    return new RepeatedWarningsLimiter({ intervalMs: 10_000, maxReasons, emit: (text, context) => emitted.push({ text, context }) });
  }

  it('writes the first warning of a burst, then one summary as soon as the burst is over, naming the line it counts like and the interval', () => {
    const limits = limiter();
    const admitted = Array.from({ length: 4_313 }, (_, i) => limits.admit('r', () => `blocked #${i}`, 'Filter'));
    expect(admitted.filter(Boolean)).toHaveLength(1);
    jest.advanceTimersByTime(999);
    expect(emitted).toEqual([]);
    // Quiet for 1 s: the burst is over, its summary comes now (it waited the whole 10 s interval before).
    jest.advanceTimersByTime(1);
    expect(emitted).toEqual([{ text: 'held back 4,312 more like "blocked #0" in the last 1 s; the last: blocked #4312', context: 'Filter' }]);
    // Another burst within the interval the summary opened: held back, summarised when it is over.
    expect(limits.admit('r', () => 'blocked again', 'Filter')).toBe(false);
    jest.advanceTimersByTime(1_000);
    expect(emitted.at(-1)?.text).toBe('held back 1 more like "blocked #0" in the last 1 s; the last: blocked again');
    // Quiet for an interval: the next one is written again.
    jest.advanceTimersByTime(10_000);
    expect(limits.admit('r', () => 'back', 'Filter')).toBe(true);
    expect(emitted).toHaveLength(2);
  });

  it('summarises a flood that goes on once per interval, and its counts add up to every warning held back', () => {
    const limits = limiter();
    let written = 0;
    // A warning every 100 ms for 30 s: never quiet for 1 s.
    for (let i = 0; i < 300; i++) {
      if (limits.admit('r', () => `refused #${i}`, undefined)) written += 1;
      jest.advanceTimersByTime(100);
    }
    // The flood ended at 30 s: its last summary comes 1 s later, not at the end of that interval.
    jest.advanceTimersByTime(1_000);
    expect(written).toBe(1);
    expect(emitted.length).toBeLessThanOrEqual(3);
    const counted = emitted.reduce((sum, line) => sum + Number(/^held back ([\d,]+) more/.exec(line.text)?.[1].replace(/,/g, '')), 0);
    expect(counted).toBe(299);
  });

  it('loses no count when a warning comes after the interval but before its timer ran (busy event loop)', () => {
    const limits = limiter();
    limits.admit('r', () => 'first', undefined);
    limits.admit('r', () => 'second', undefined);
    // Time passes without timers running, as when the event loop is busy with I/O.
    jest.setSystemTime(Date.now() + 10_500);
    expect(limits.admit('r', () => 'late', undefined)).toBe(false);
    expect(emitted.map((e) => e.text)).toEqual(['held back 1 more like "first" in the last 11 s; the last: second']);
    jest.advanceTimersByTime(1_000);
    expect(emitted.map((e) => e.text)).toEqual([
      'held back 1 more like "first" in the last 11 s; the last: second',
      'held back 1 more like "first" in the last 1 s; the last: late',
    ]);
  });

  it('recognises its summaries (a second limiter writes them as they are) and quotes a long first line shortened', () => {
    const limits = limiter();
    limits.admit('r', () => `x${'y'.repeat(300)}`, undefined);
    limits.admit('r', () => 'z', undefined);
    limits.flushAll();
    const [summary] = emitted.map((e) => e.text);
    expect(summary).toMatch(/^held back 1 more like "xy{118}…" in the last 1 s; the last: z$/);
    expect(isRepeatSummary(summary)).toBe(true);
    expect(isRepeatSummary('retry 1 of message m-1 on q in 1000 ms: Error: held back 3 more like "a"')).toBe(false);
  });

  it('keeps reasons apart and remembers a bounded number of them', () => {
    const limits = limiter(10);
    expect(limits.admit('a', () => 'a', undefined)).toBe(true);
    expect(limits.admit('b', () => 'b', undefined)).toBe(true);
    expect(limits.admit('a', () => 'a2', undefined)).toBe(false);
    for (let i = 0; i < 100; i++) limits.admit(`other-${i}`, () => 'x', undefined);
    expect(limits.size).toBeLessThanOrEqual(10);
    // The evicted reason's pending count was written, not lost.
    expect(emitted.map((e) => e.text)).toContain('held back 1 more like "a" in the last 1 s; the last: a2');
  });

  it('flushAll writes every pending summary', () => {
    const limits = limiter();
    limits.admit('a', () => 'a', 'C');
    limits.admit('a', () => 'a', 'C');
    limits.flushAll();
    expect(emitted).toHaveLength(1);
  });
});

describe('warningReason', () => {
  it('ignores numbers and UUIDs, keeps context and words', () => {
    expect(warningReason('C', 'retrying in 512 ms (attempt 3)')).toBe(warningReason('C', 'retrying in 1024 ms (attempt 4)'));
    expect(warningReason('C', 'event 3f1c2a9e-6f1b-4c1e-9a8e-1d2c3b4a5f60 refused')).toBe(
      warningReason('C', 'event 0a1b2c3d-0000-4c1e-9a8e-aaaaaaaaaaaa refused'),
    );
    expect(warningReason('C', 'blocked')).not.toBe(warningReason('D', 'blocked'));
    expect(warningReason('C', 'blocked')).not.toBe(warningReason('C', 'timed out'));
  });
});
