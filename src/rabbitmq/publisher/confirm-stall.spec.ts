import { describe, expect, it } from '@jest/globals';
import { ConfirmStall } from './confirm-stall.js';

function recordingLogger(): { lines: string[]; warn(message: string): void; log(message: string): void } {
  const lines: string[] = [];
  return { lines, warn: (message) => lines.push(`warn: ${message}`), log: (message) => lines.push(`log: ${message}`) };
}

describe('ConfirmStall', () => {
  it('is stalled only while the oldest unconfirmed publish is at least the threshold old', () => {
    const stall = new ConfirmStall(2_000, recordingLogger());
    expect(stall.check(undefined, 10_000)).toBeUndefined(); // nothing waits
    expect(stall.check(9_000, 10_000)).toBeUndefined(); // 1 s: a slow confirm, not a stall
    expect(stall.check(8_000, 10_000)).toBe(2_000);
    expect(stall.isStalled).toBe(true);
    expect(stall.check(undefined, 12_000)).toBeUndefined(); // answered: confirms flow again
    expect(stall.isStalled).toBe(false);
  });

  it('logs one line when a stall starts and one when it ends, however often it is checked', () => {
    const logger = recordingLogger();
    const stall = new ConfirmStall(2_000, logger);
    for (let now = 10_000; now <= 15_000; now += 100) stall.check(7_500, now);
    stall.check(undefined, 15_100);
    stall.check(undefined, 15_200);
    expect(logger.lines).toEqual([
      'warn: the broker has not confirmed a publish for 2500 ms: refusing new publishes until confirms flow again',
      'log: publish confirms no longer stalled: the broker answered, or the channel closed',
    ]);
  });
});
