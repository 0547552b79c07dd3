import { totalmem } from 'node:os';
import { getHeapStatistics } from 'node:v8';

/** What the memory watermarks are compared with: the process's RSS, or V8's used heap. */
export type MemoryMeasure = 'rss' | 'heap';

export interface MemoryLimit {
  bytes: number;
  measure: MemoryMeasure;
}

/**
 * The memory this process may use, and the measure that goes with it: the container (cgroup)
 * limit against RSS when there is one (the kernel kills on RSS), else the V8 heap limit
 * (`--max-old-space-size`, what "heap out of memory" kills at) against the used heap. Never RSS
 * against the heap limit: RSS also holds code, buffers and pages V8 has not returned, so an idle
 * service with a small heap limit can sit above 55 % of it for good — paused, never resuming.
 */
export function defaultMemoryLimit(): MemoryLimit {
  // constrainedMemory() is 0 or absurdly large (2^63) when no cgroup limit is set.
  const constrained = typeof process.constrainedMemory === 'function' ? (process.constrainedMemory() ?? 0) : 0;
  if (constrained > 0 && constrained < totalmem()) {
    return { bytes: constrained, measure: 'rss' };
  }
  return { bytes: getHeapStatistics().heap_size_limit, measure: 'heap' };
}

/** Reads the current value of `measure`. */
export function memoryReader(measure: MemoryMeasure): () => number {
  return measure === 'heap' ? () => getHeapStatistics().used_heap_size : () => process.memoryUsage.rss();
}
