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

  it('writes one line per kind and level, then one summary when the burst is over that counts the rest, and renders only what it writes', () => {
    const log = new PerMessageLog(logger);
    let rendered = 0;
    for (let i = 0; i < 3_000; i++) {
      log.warn('dead-letter', () => `dead-lettering message m-${i}: DecodeError ${(rendered += 1)}`);
      log.warn('retry', () => `retry of message m-${i}`);
      log.error('not-copied', () => `message m-${i} could not be parked`);
    }
    expect(lines).toEqual(['warn dead-lettering message m-0: DecodeError 1', 'warn retry of message m-0', 'error message m-0 could not be parked']);
    jest.advanceTimersByTime(1_000);
    // The summary quotes the burst's first line (rendered again: this renderer counts, so it reads 2) and ends with the last one.
    expect(lines.slice(3)).toEqual([
      'warn held back 2,999 more like "dead-lettering message m-0: DecodeError 2" in the last 1 s; the last: dead-lettering message m-2999: DecodeError 3',
      'warn held back 2,999 more like "retry of message m-0" in the last 1 s; the last: retry of message m-2999',
      'error held back 2,999 more like "message m-0 could not be parked" in the last 1 s; the last: message m-2999 could not be parked',
    ]);
    // Three renderings for 3,000 warnings: the written line, then the summary's quote and last; none per held-back message.
    expect(rendered).toBe(3);
    expect(lines.slice(3).every((line) => isRepeatSummary(line.replace(/^(warn|error) /, '')))).toBe(true);
    expect(isRepeatSummary(lines[0].slice('warn '.length))).toBe(false);
  });
});
