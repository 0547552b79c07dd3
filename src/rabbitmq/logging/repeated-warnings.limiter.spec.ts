import { afterEach, beforeEach, describe, expect, it, jest } from '@jest/globals';
import { RepeatedWarningsLimiter, warningReason } from './repeated-warnings.limiter.js';

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

  it('writes the first warning of a reason, then one summary line per interval with the count', () => {
    const limits = limiter();
    const admitted = Array.from({ length: 4_313 }, (_, i) => limits.admit('r', () => `blocked #${i}`, 'Filter'));
    expect(admitted.filter(Boolean)).toHaveLength(1);
    expect(emitted).toEqual([]);
    jest.advanceTimersByTime(10_000);
    expect(emitted).toEqual([{ text: 'blocked #4312 (repeated 4,312 times in the last 10 s)', context: 'Filter' }]);
    // The flood goes on: still held back, summarised at the end of the next interval.
    expect(limits.admit('r', () => 'blocked again', 'Filter')).toBe(false);
    jest.advanceTimersByTime(10_000);
    expect(emitted.at(-1)?.text).toBe('blocked again (repeated 1 time in the last 10 s)');
    // Quiet for an interval: the next one is written again.
    jest.advanceTimersByTime(10_000);
    expect(limits.admit('r', () => 'back', 'Filter')).toBe(true);
    expect(emitted).toHaveLength(2);
  });

  it('loses no count when a warning comes after the interval but before its timer ran (busy event loop)', () => {
    const limits = limiter();
    limits.admit('r', () => 'first', undefined);
    limits.admit('r', () => 'second', undefined);
    // Time passes without timers running, as when the event loop is busy with I/O.
    jest.setSystemTime(Date.now() + 10_500);
    expect(limits.admit('r', () => 'late', undefined)).toBe(false);
    expect(emitted.map((e) => e.text)).toEqual(['second (repeated 1 time in the last 11 s)']);
    jest.advanceTimersByTime(10_000);
    expect(emitted.map((e) => e.text)).toEqual(['second (repeated 1 time in the last 11 s)', 'late (repeated 1 time in the last 10 s)']);
  });

  it('keeps reasons apart and remembers a bounded number of them', () => {
    const limits = limiter(10);
    expect(limits.admit('a', () => 'a', undefined)).toBe(true);
    expect(limits.admit('b', () => 'b', undefined)).toBe(true);
    expect(limits.admit('a', () => 'a2', undefined)).toBe(false);
    for (let i = 0; i < 100; i++) limits.admit(`other-${i}`, () => 'x', undefined);
    expect(limits.size).toBeLessThanOrEqual(10);
    // The evicted reason's pending count was written, not lost.
    expect(emitted.map((e) => e.text)).toContain('a2 (repeated 1 time in the last 1 s)');
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
