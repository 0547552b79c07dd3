import { describe, expect, it } from '@jest/globals';
import { KillSwitch } from './kill-switch.js';

const OK = false;
const FAIL = true;

/** Records outcomes in turn and returns what each record() returned. */
function feed(killSwitch: KillSwitch, outcomes: boolean[]): Array<'tripped' | 'recovered' | undefined> {
  return outcomes.map((failed) => killSwitch.record(failed));
}

/** A switch that has just tripped (window 4, ratio 0.5). */
function tripped(): KillSwitch {
  const killSwitch = new KillSwitch({ window: 4, failureRatio: 0.5 });
  expect(feed(killSwitch, [FAIL, FAIL, FAIL, FAIL])).toEqual([undefined, undefined, undefined, 'tripped']);
  expect(killSwitch.state).toBe('open');
  return killSwitch;
}

describe('KillSwitch', () => {
  it('starts closed', () => {
    expect(new KillSwitch({ window: 4, failureRatio: 0.5 }).state).toBe('closed');
  });

  it('does not trip before the window is full, even when every outcome failed', () => {
    const killSwitch = new KillSwitch({ window: 4, failureRatio: 0.5 });
    expect(feed(killSwitch, [FAIL, FAIL, FAIL])).toEqual([undefined, undefined, undefined]);
    expect(killSwitch.state).toBe('closed');
  });

  it('trips exactly when the full window reaches the failure ratio', () => {
    const killSwitch = new KillSwitch({ window: 4, failureRatio: 0.5 });
    expect(feed(killSwitch, [OK, OK, FAIL])).toEqual([undefined, undefined, undefined]);
    expect(killSwitch.state).toBe('closed');
    expect(killSwitch.record(FAIL)).toBe('tripped');
    expect(killSwitch.state).toBe('open');
  });

  it('does not trip when the full window stays below the ratio', () => {
    const killSwitch = new KillSwitch({ window: 4, failureRatio: 0.5 });
    expect(feed(killSwitch, [OK, OK, OK, FAIL])).toEqual([undefined, undefined, undefined, undefined]);
    expect(killSwitch.state).toBe('closed');
  });

  it('trips on the first record that fills the window when the ratio is already met', () => {
    const killSwitch = new KillSwitch({ window: 4, failureRatio: 0.5 });
    expect(feed(killSwitch, [FAIL, FAIL, OK, OK])).toEqual([undefined, undefined, undefined, 'tripped']);
  });

  it('slides: failures that left the window no longer count', () => {
    const killSwitch = new KillSwitch({ window: 4, failureRatio: 0.5 });
    // [F, O, O, O] = 1/4, then [O, O, O, F] = 1/4: the first failure has slid out.
    expect(feed(killSwitch, [FAIL, OK, OK, OK, FAIL])).toEqual([undefined, undefined, undefined, undefined, undefined]);
    expect(killSwitch.state).toBe('closed');
    // [O, O, F, F] = 2/4: trips.
    expect(killSwitch.record(FAIL)).toBe('tripped');
  });

  it('never trips on a long run of successes after early failures', () => {
    const killSwitch = new KillSwitch({ window: 4, failureRatio: 0.5 });
    const results = feed(killSwitch, [FAIL, OK, ...Array<boolean>(100).fill(OK)]);
    expect(results.every((result) => result === undefined)).toBe(true);
    expect(killSwitch.state).toBe('closed');
    // The window now holds only successes: one failure is 1/4, below the ratio.
    expect(killSwitch.record(FAIL)).toBeUndefined();
    expect(killSwitch.state).toBe('closed');
  });

  it('counts an alternating stream as exactly half failed', () => {
    const killSwitch = new KillSwitch({ window: 4, failureRatio: 0.75 });
    const results = feed(
      killSwitch,
      Array.from({ length: 40 }, (_, i) => i % 2 === 0),
    );
    expect(results.every((result) => result === undefined)).toBe(true);
    const atHalf = new KillSwitch({ window: 4, failureRatio: 0.5 });
    expect(feed(atHalf, [OK, FAIL, OK, FAIL])).toEqual([undefined, undefined, undefined, 'tripped']);
  });

  it('ignores records while open: returns undefined and stays open', () => {
    const killSwitch = tripped();
    expect(feed(killSwitch, [OK, OK, OK, OK, OK, FAIL, FAIL])).toEqual(Array(7).fill(undefined));
    expect(killSwitch.state).toBe('open');
  });

  it('startTrial moves open to trial', () => {
    const killSwitch = tripped();
    killSwitch.startTrial();
    expect(killSwitch.state).toBe('trial');
  });

  it('startTrial does nothing when closed', () => {
    const killSwitch = new KillSwitch({ window: 4, failureRatio: 0.5 });
    killSwitch.startTrial();
    expect(killSwitch.state).toBe('closed');
    // Still a normal closed switch: a single failure does not trip as a trial would.
    expect(killSwitch.record(FAIL)).toBeUndefined();
    expect(killSwitch.state).toBe('closed');
  });

  it('startTrial does nothing when already on trial', () => {
    const killSwitch = tripped();
    killSwitch.startTrial();
    killSwitch.startTrial();
    expect(killSwitch.state).toBe('trial');
  });

  it('on trial, the first success recovers and closes the switch', () => {
    const killSwitch = tripped();
    killSwitch.startTrial();
    expect(killSwitch.record(OK)).toBe('recovered');
    expect(killSwitch.state).toBe('closed');
  });

  it('after recovering, the window is cleared: a full window is needed to trip again', () => {
    const killSwitch = tripped(); // the window held [F, F, F, F]
    killSwitch.startTrial();
    expect(killSwitch.record(OK)).toBe('recovered');
    // Had the old failures been kept, the first of these would trip.
    expect(feed(killSwitch, [FAIL, FAIL, FAIL])).toEqual([undefined, undefined, undefined]);
    expect(killSwitch.state).toBe('closed');
    expect(killSwitch.record(FAIL)).toBe('tripped');
    expect(killSwitch.state).toBe('open');
  });

  it('on trial, the first failure trips it again', () => {
    const killSwitch = tripped();
    killSwitch.startTrial();
    expect(killSwitch.record(FAIL)).toBe('tripped');
    expect(killSwitch.state).toBe('open');
    // And the cycle can repeat.
    killSwitch.startTrial();
    expect(killSwitch.state).toBe('trial');
    expect(killSwitch.record(OK)).toBe('recovered');
  });

  it('with ratio 1, trips only when every outcome in the window failed', () => {
    const killSwitch = new KillSwitch({ window: 4, failureRatio: 1 });
    expect(feed(killSwitch, [FAIL, FAIL, FAIL, OK])).toEqual([undefined, undefined, undefined, undefined]);
    expect(feed(killSwitch, [FAIL, FAIL, FAIL])).toEqual([undefined, undefined, undefined]); // [O, F, F, F]
    expect(killSwitch.state).toBe('closed');
    expect(killSwitch.record(FAIL)).toBe('tripped'); // [F, F, F, F]
  });

  it('with window 1, trips on the first failure', () => {
    const killSwitch = new KillSwitch({ window: 1, failureRatio: 0.5 });
    expect(feed(killSwitch, [OK, OK])).toEqual([undefined, undefined]);
    expect(killSwitch.record(FAIL)).toBe('tripped');
  });

  it('trips at a ratio that is not a power of two (window 10, ratio 0.3)', () => {
    const killSwitch = new KillSwitch({ window: 10, failureRatio: 0.3 });
    const results = feed(killSwitch, [OK, OK, OK, OK, OK, OK, OK, FAIL, FAIL, FAIL]);
    expect(results.slice(0, 9)).toEqual(Array(9).fill(undefined));
    expect(results[9]).toBe('tripped');
  });
});
