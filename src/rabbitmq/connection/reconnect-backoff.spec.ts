import { describe, expect, it } from '@jest/globals';
import { ReconnectBackoff } from './reconnect-backoff.js';

describe('ReconnectBackoff', () => {
  it('doubles the ceiling per attempt up to the cap (random = 1 shows the ceiling)', () => {
    const backoff = new ReconnectBackoff(500, 4_000, () => 1);
    expect([backoff.next(), backoff.next(), backoff.next(), backoff.next(), backoff.next()]).toEqual([500, 1_000, 2_000, 4_000, 4_000]);
  });

  it('draws uniformly between half the ceiling and the ceiling (equal jitter)', () => {
    const backoff = new ReconnectBackoff(1_000, 30_000, () => 0.5);
    expect([backoff.next(), backoff.next(), backoff.next()]).toEqual([750, 1_500, 3_000]);
    const floor = new ReconnectBackoff(1_000, 30_000, () => 0);
    expect([floor.next(), floor.next(), floor.next()]).toEqual([500, 1_000, 2_000]);
  });

  it('with the defaults (500 ms, cap 1 s): never more than 2 attempts a second once capped, never over 1 s apart', () => {
    for (const random of [() => 0, () => 0.999999, Math.random]) {
      const backoff = new ReconnectBackoff(500, 1_000, random);
      const delays = Array.from({ length: 200 }, () => backoff.next());
      expect(delays[0]).toBeGreaterThanOrEqual(250);
      expect(Math.min(...delays.slice(1))).toBeGreaterThanOrEqual(500);
      expect(Math.max(...delays)).toBeLessThanOrEqual(1_000);
    }
  });

  it('starts over from the base after reset()', () => {
    const backoff = new ReconnectBackoff(100, 10_000, () => 1);
    backoff.next();
    backoff.next();
    expect(backoff.attempts).toBe(2);
    backoff.reset();
    expect(backoff.attempts).toBe(0);
    expect(backoff.next()).toBe(100);
  });

  it('reports the ceiling of the last delay drawn, which reaches the cap while failures persist', () => {
    const backoff = new ReconnectBackoff(50, 800, () => 0);
    const ceilings = [];
    for (let i = 0; i < 6; i++) {
      backoff.next();
      ceilings.push(backoff.ceiling);
    }
    expect(ceilings).toEqual([50, 100, 200, 400, 800, 800]);
  });

  it('never overflows after very many attempts', () => {
    const backoff = new ReconnectBackoff(500, 30_000, () => 1);
    for (let i = 0; i < 2_000; i++) backoff.next();
    expect(backoff.next()).toBe(30_000);
  });
});
