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
  it('starts at 1 and opens to the cap at the first body within maxMessageBytes', () => {
    const window = new AdaptivePrefetch(21, MAX);
    expect(window.current).toBe(1);
    expect(window.observe(MAX)).toBe(true); // a body of exactly the maximum is not oversized
    expect(window.current).toBe(21);
    expect(feed(window, 10, 10)).toEqual(Array(10).fill(21));
  });

  it('closes to 1 at the first body over maxMessageBytes, stays there while they keep coming, and reopens on a small one', () => {
    const window = new AdaptivePrefetch(21, MAX);
    feed(window, 5, 100);
    expect(window.observe(MAX + 1)).toBe(true);
    expect(window.current).toBe(1);
    // A run of oversized bodies: one at a time.
    expect(feed(window, 40, 16 * 1024 * 1024)).toEqual(Array(40).fill(1));
    expect(window.observe(MAX)).toBe(true);
    expect(window.current).toBe(21);
  });

  it('says when the window changed, and only then', () => {
    const window = new AdaptivePrefetch(4, MAX);
    expect(window.observe(MAX + 1)).toBe(false); // already 1
    expect(window.observe(10)).toBe(true);
    expect(window.observe(10)).toBe(false);
    expect(window.observe(MAX + 1)).toBe(true);
    expect(window.observe(MAX + 1)).toBe(false);
  });

  it('a cap of 1 never changes', () => {
    const window = new AdaptivePrefetch(1, MAX);
    expect(feed(window, 10, 10)).toEqual(Array(10).fill(1));
    expect(window.observe(MAX + 1)).toBe(false);
    expect(window.observe(10)).toBe(false);
  });
});
