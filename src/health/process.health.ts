import { Injectable, type OnModuleDestroy } from '@nestjs/common';
import { HealthIndicatorService } from '@nestjs/terminus';
import { type IntervalHistogram, monitorEventLoopDelay } from 'node:perf_hooks';
import { getHeapStatistics } from 'node:v8';

/** Liveness fails only when the process itself is broken: a loop stalled this long... */
export const LIVENESS_EVENT_LOOP_LIMIT_MS = 5_000;
/** ...or a heap this close to V8's hard limit (the next step is "heap out of memory"). */
export const LIVENESS_HEAP_RATIO = 0.95;

/**
 * Process health for the liveness probe. It never looks at the broker: a broker outage must
 * make pods unready, not restart them all at once.
 */
@Injectable()
export class ProcessHealthIndicator implements OnModuleDestroy {
  private readonly loop: IntervalHistogram = monitorEventLoopDelay({ resolution: 20 });

  constructor(private readonly health: HealthIndicatorService) {
    this.loop.enable();
  }

  isAlive(key = 'process') {
    const indicator = this.health.check(key);
    const maxDelayMs = Math.round(this.loop.max / 1e6);
    this.loop.reset();
    const { used_heap_size: heapUsed, heap_size_limit: heapLimit } = getHeapStatistics();
    const details = { eventLoopDelayMaxMs: maxDelayMs, heapUsedBytes: heapUsed, heapLimitBytes: heapLimit };
    const alive = maxDelayMs < LIVENESS_EVENT_LOOP_LIMIT_MS && heapUsed < heapLimit * LIVENESS_HEAP_RATIO;
    return alive ? indicator.up(details) : indicator.down(details);
  }

  onModuleDestroy(): void {
    this.loop.disable();
  }
}
