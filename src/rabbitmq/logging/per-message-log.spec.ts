import { afterEach, beforeEach, describe, expect, it, jest } from '@jest/globals';
import { PerMessageLog } from './per-message-log.js';
import { isRepeatSummary } from './repeated-warnings.limiter.js';

describe('PerMessageLog', () => {
  let lines: string[];
  const logger = { warn: (text: unknown) => lines.push(`warn ${String(text)}`), error: (text: unknown) => lines.push(`error ${String(text)}`) };
  beforeEach(() => {
    jest.useFakeTimers();
    lines = [];
  });
  afterEach(() => {
    jest.useRealTimers();
  });

  it('writes one line per kind and level, then one summary per interval that counts the rest, and renders only what it writes', () => {
    const log = new PerMessageLog(logger);
    let rendered = 0;
    for (let i = 0; i < 3_000; i++) {
      log.warn('dead-letter', () => `dead-lettering message m-${i}: DecodeError ${(rendered += 1)}`);
      log.warn('retry', () => `retry of message m-${i}`);
      log.error('not-copied', () => `message m-${i} could not be parked`);
    }
    expect(lines).toEqual(['warn dead-lettering message m-0: DecodeError 1', 'warn retry of message m-0', 'error message m-0 could not be parked']);
    jest.advanceTimersByTime(10_000);
    expect(lines.slice(3)).toEqual([
      'warn dead-lettering message m-2999: DecodeError 2 (repeated 2,999 times in the last 10 s)',
      'warn retry of message m-2999 (repeated 2,999 times in the last 10 s)',
      'error message m-2999 could not be parked (repeated 2,999 times in the last 10 s)',
    ]);
    expect(rendered).toBe(2);
    expect(lines.slice(3).every(isRepeatSummary)).toBe(true);
    expect(isRepeatSummary(lines[0].slice('warn '.length))).toBe(false);
  });
});
