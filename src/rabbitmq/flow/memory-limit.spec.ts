import { totalmem } from 'node:os';
import { getHeapStatistics } from 'node:v8';
import { describe, expect, it } from '@jest/globals';
import { defaultMemoryLimit, memoryReader } from './memory-limit.js';

describe('defaultMemoryLimit', () => {
  it('pairs the container limit with RSS, and the V8 heap limit with the used heap', () => {
    const constrained = process.constrainedMemory?.() ?? 0;
    const limit = defaultMemoryLimit();
    if (constrained > 0 && constrained < totalmem()) {
      expect(limit).toEqual({ bytes: constrained, measure: 'rss' });
    } else {
      expect(limit).toEqual({ bytes: getHeapStatistics().heap_size_limit, measure: 'heap' });
    }
  });
});

describe('memoryReader', () => {
  it('reads RSS for rss and the used heap for heap (the heap is the smaller of the two)', () => {
    const rss = memoryReader('rss')();
    const heap = memoryReader('heap')();
    expect(rss).toBeGreaterThan(0);
    expect(heap).toBeGreaterThan(0);
    expect(heap).toBeLessThan(rss);
    expect(Math.abs(rss - process.memoryUsage.rss())).toBeLessThan(64 * 1024 * 1024);
  });
});
