import { afterEach, beforeEach, describe, expect, it, jest } from '@jest/globals';
import { HandlerDeadlines } from './handler-deadlines.js';

describe('HandlerDeadlines', () => {
  beforeEach(() => {
    jest.useFakeTimers();
  });
  afterEach(() => {
    jest.useRealTimers();
  });

  it('expires each run at its own deadline, on one timer, and never a run that settled', () => {
    const deadlines = new HandlerDeadlines(1_000);
    const expired: string[] = [];
    deadlines.start(() => expired.push('a'));
    jest.advanceTimersByTime(400);
    const settleB = deadlines.start(() => expired.push('b'));
    deadlines.start(() => expired.push('c'));
    expect(jest.getTimerCount()).toBe(1);
    settleB();
    jest.advanceTimersByTime(599);
    expect(expired).toEqual([]);
    jest.advanceTimersByTime(1);
    expect(expired).toEqual(['a']);
    jest.advanceTimersByTime(400);
    expect(expired).toEqual(['a', 'c']); // b settled before its deadline
    expect(jest.getTimerCount()).toBe(0);
  });

  it('arms again for a run started after the timer went idle', () => {
    const deadlines = new HandlerDeadlines(50);
    const expired: number[] = [];
    deadlines.start(() => expired.push(1))();
    jest.advanceTimersByTime(100);
    deadlines.start(() => expired.push(2));
    jest.advanceTimersByTime(50);
    expect(expired).toEqual([2]);
  });

  it('holds no timer once every run settled', () => {
    const deadlines = new HandlerDeadlines(30_000);
    const settle = [deadlines.start(() => undefined), deadlines.start(() => undefined)];
    settle.forEach((done) => done());
    expect(jest.getTimerCount()).toBe(0);
  });
});
