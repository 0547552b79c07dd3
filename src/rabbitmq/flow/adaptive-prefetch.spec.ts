import { describe, expect, it } from '@jest/globals';
import { AdaptivePrefetch } from './adaptive-prefetch.js';

const MAX = 1_000;

/** Feeds `count` bodies of `bytes` and returns the window after each one. */
function feed(window: AdaptivePrefetch, count: number, bytes: number): number[] {
  return Array.from({ length: count }, () => {
    window.observe(bytes);
    return window.current;
  });
}

describe('AdaptivePrefetch', () => {
  it('starts at 1 and doubles after each full window of small bodies, up to the cap', () => {
    const window = new AdaptivePrefetch(21, MAX);
    expect(window.current).toBe(1);
    // 1 → 2 after 1 delivery, → 4 after 2 more, → 8 after 4, → 16 after 8, → 21 (cap) after 16: 31 in all.
    const windows = feed(window, 40, MAX);
    expect(windows.slice(0, 3)).toEqual([2, 2, 4]);
    expect(windows[6]).toBe(8);
    expect(windows[14]).toBe(16);
    expect(windows[29]).toBe(16);
    expect(windows.slice(30)).toEqual(Array(10).fill(21));
  });

  it('says when the window changed, and only then', () => {
    const window = new AdaptivePrefetch(4, MAX);
    expect(window.observe(10)).toBe(true); // 1 → 2
    expect(window.observe(10)).toBe(false);
    expect(window.observe(10)).toBe(true); // 2 → 4 (the cap)
    expect(feed(window, 100, 10)).toEqual(Array(100).fill(4));
    expect(window.observe(MAX + 1)).toBe(true); // 4 → 1
    expect(window.observe(MAX + 1)).toBe(false); // already 1
  });

  it('falls back to 1 at the first body over maxMessageBytes, and grows again only on small bodies', () => {
    const window = new AdaptivePrefetch(21, MAX);
    feed(window, 40, 100);
    expect(window.current).toBe(21);
    window.observe(MAX + 1);
    expect(window.current).toBe(1);
    // A run of oversized bodies keeps it at 1: one at a time.
    expect(feed(window, 40, 16 * 1024 * 1024)).toEqual(Array(40).fill(1));
    // A body of exactly the maximum is not oversized.
    expect(window.observe(MAX)).toBe(true);
    expect(window.current).toBe(2);
  });

  it('an oversized body between small ones restarts the count towards the next step', () => {
    const window = new AdaptivePrefetch(21, MAX);
    feed(window, 3, 10); // 1 → 2 → 4
    expect(window.current).toBe(4);
    feed(window, 3, 10); // 3 of the 4 needed
    window.observe(MAX + 1);
    expect(window.current).toBe(1);
    window.observe(10);
    expect(window.current).toBe(2);
  });

  it('a cap of 1 never grows', () => {
    const window = new AdaptivePrefetch(1, MAX);
    expect(feed(window, 10, 10)).toEqual(Array(10).fill(1));
    expect(window.observe(MAX + 1)).toBe(false);
  });
});
