import type { Logger } from '@nestjs/common';
import { type IntervalHistogram, monitorEventLoopDelay } from 'node:perf_hooks';
import { type MemoryMeasure, memoryReader } from './memory-limit.js';

/** Why consumption is paused process-wide. */
export type FlowPauseReason = 'memory' | 'event-loop' | 'in-flight-bytes';

export interface FlowControlSettings {
  maxInFlightBytes: number;
  memoryHighWatermarkBytes: number;
  memoryLowWatermarkBytes: number;
  memoryMeasure: MemoryMeasure;
  eventLoopDelayLimitMs: number;
  checkIntervalMs: number;
}

export interface FlowStatus {
  paused: boolean;
  reasons: FlowPauseReason[];
  inFlightBytes: number;
  /** The last reading of `flow.memoryMeasure` (RSS or used heap). */
  memoryBytes: number;
  memoryMeasure: MemoryMeasure;
  eventLoopDelayMs: number;
}

/**
 * Decides when the whole process must stop taking deliveries: too many bytes in flight, memory over
 * the high watermark, or an event loop too late to keep up. Each reason clears with hysteresis
 * (bytes below half the budget, memory below the low watermark, delay below a fifth of the limit),
 * so consumption does not flap. The server cancels consumers on a pause (channels stay open so
 * in-flight messages can still be acked) and consumes again when no reason is left.
 */
export class FlowControl {
  private readonly reasons = new Set<FlowPauseReason>();
  private inFlight = 0;
  private memory = 0;
  private loopDelayMs = 0;
  private timer?: NodeJS.Timeout;
  private histogram?: IntervalHistogram;

  constructor(
    private readonly settings: FlowControlSettings,
    private readonly logger: Logger,
    private readonly onChange: (reason: FlowPauseReason, paused: boolean) => void,
    private readonly readMemory: () => number = memoryReader(settings.memoryMeasure),
  ) {}

  start(): void {
    this.histogram = monitorEventLoopDelay({ resolution: 10 });
    this.histogram.enable();
    this.timer = setInterval(() => this.check(), this.settings.checkIntervalMs);
    this.timer.unref();
    this.check();
  }

  stop(): void {
    clearInterval(this.timer);
    this.histogram?.disable();
  }

  /** A delivery of `bytes` arrived. */
  acquire(bytes: number): void {
    this.inFlight += bytes;
    if (this.inFlight >= this.settings.maxInFlightBytes) {
      this.set('in-flight-bytes', true, `${this.inFlight} bytes in flight, budget ${this.settings.maxInFlightBytes}`);
    }
  }

  /** A delivery of `bytes` was settled. */
  release(bytes: number): void {
    this.inFlight = Math.max(0, this.inFlight - bytes);
    if (this.inFlight < this.settings.maxInFlightBytes / 2) {
      this.set('in-flight-bytes', false, `${this.inFlight} bytes in flight`);
    }
  }

  status(): FlowStatus {
    return {
      paused: this.reasons.size > 0,
      reasons: [...this.reasons],
      inFlightBytes: this.inFlight,
      memoryBytes: this.memory,
      memoryMeasure: this.settings.memoryMeasure,
      eventLoopDelayMs: this.loopDelayMs,
    };
  }

  /** Samples memory and event-loop delay; public so tests can drive it. */
  check(): void {
    this.memory = this.readMemory();
    const measured = this.settings.memoryMeasure === 'heap' ? 'used heap' : 'RSS';
    if (this.memory >= this.settings.memoryHighWatermarkBytes) {
      this.set('memory', true, `${measured} ${mib(this.memory)} over the high watermark ${mib(this.settings.memoryHighWatermarkBytes)}`);
    } else if (this.memory < this.settings.memoryLowWatermarkBytes) {
      this.set('memory', false, `${measured} ${mib(this.memory)} under the low watermark ${mib(this.settings.memoryLowWatermarkBytes)}`);
    }
    if (this.histogram) {
      this.loopDelayMs = Math.round(this.histogram.percentile(99) / 1e6);
      this.histogram.reset();
      if (this.loopDelayMs >= this.settings.eventLoopDelayLimitMs) {
        this.set('event-loop', true, `event-loop delay p99 ${this.loopDelayMs} ms`);
      } else if (this.loopDelayMs < this.settings.eventLoopDelayLimitMs / 5) {
        this.set('event-loop', false, `event-loop delay p99 ${this.loopDelayMs} ms`);
      }
    }
  }

  private set(reason: FlowPauseReason, paused: boolean, detail: string): void {
    if (paused === this.reasons.has(reason)) {
      return;
    }
    if (paused) {
      this.reasons.add(reason);
      this.logger.warn(`pausing consumption (${reason}): ${detail}`);
    } else {
      this.reasons.delete(reason);
      this.logger.log(`resuming consumption (${reason} cleared): ${detail}`);
    }
    this.onChange(reason, paused);
  }
}

function mib(bytes: number): string {
  return `${Math.round(bytes / 1024 / 1024)} MiB`;
}
