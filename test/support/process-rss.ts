import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';

/** Resident set size of a process in bytes, from /proc/<pid>/status (VmRSS); undefined if gone. */
export function readRssBytes(pid: number): number | undefined {
  try {
    const match = /^VmRSS:\s+(\d+)\s+kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}

/** One RSS reading, with performance.now() time. */
export interface RssSample {
  at: number;
  bytes: number;
}

/**
 * Samples a process's RSS every `intervalMs` until stop(): what "RSS stays flat" is measured
 * from. Linux only (/proc).
 */
export class RssSampler {
  readonly samples: RssSample[] = [];
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly pid: number,
    private readonly intervalMs = 100,
  ) {}

  start(): void {
    this.sample();
    this.timer = setInterval(() => this.sample(), this.intervalMs);
  }

  stop(): void {
    clearInterval(this.timer);
    this.sample();
  }

  /** Samples taken between two performance.now() times. */
  between(from: number, to: number): RssSample[] {
    return this.samples.filter((s) => s.at >= from && s.at <= to);
  }

  sample(): number | undefined {
    const bytes = readRssBytes(this.pid);
    if (bytes !== undefined) {
      this.samples.push({ at: performance.now(), bytes });
    }
    return bytes;
  }
}

export function mib(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}
