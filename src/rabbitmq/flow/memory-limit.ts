import { totalmem } from 'node:os';
import { getHeapStatistics } from 'node:v8';

/**
 * The memory this process may use: the container (cgroup) limit when there is one, else the V8
 * heap limit (`--max-old-space-size`), which is what "heap out of memory" kills at. Watermarks
 * are derived from it so they follow the pod's limit without extra configuration.
 */
export function defaultMemoryLimitBytes(): number {
  // constrainedMemory() is 0 or absurdly large (2^63) when no cgroup limit is set.
  const constrained = typeof process.constrainedMemory === 'function' ? (process.constrainedMemory() ?? 0) : 0;
  if (constrained > 0 && constrained < totalmem()) {
    return constrained;
  }
  return getHeapStatistics().heap_size_limit;
}
