import { performance } from 'node:perf_hooks';

/** One HTTP request of a load run. */
export interface LoadSample {
  /** Sequence number in the run. */
  n: number;
  /** What identifies the request's effect (e.g. the e-mail of a registered user). */
  key: string;
  /** performance.now() when the request was sent and when its answer was read. */
  startedAt: number;
  endedAt: number;
  ms: number;
  /** HTTP status, or 0 when the request failed without an answer (see `error`). */
  status: number;
  retryAfter: string | null;
  body: string;
  error?: string;
}

export interface LoadRequest {
  key: string;
  body: unknown;
}

/**
 * Bounded-concurrency HTTP POST load: `concurrency` workers, each sending one request after
 * the other, either a fixed number in total (`runFixed`) or until `stop()` (`start`). Every
 * request has a deadline, so a hanging server shows up as a failed sample, never as a hang.
 */
export class HttpLoad {
  readonly samples: LoadSample[] = [];
  private next = 0;
  private stopped = false;
  private workers: Promise<void>[] = [];

  constructor(
    private readonly url: string,
    private readonly request: (n: number) => LoadRequest,
    private readonly requestTimeoutMs = 15_000,
  ) {}

  /** Sends `count` requests with `concurrency` in flight at most; resolves with their samples. */
  async runFixed(count: number, concurrency: number): Promise<LoadSample[]> {
    const first = this.samples.length;
    const end = this.next + count;
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (this.next < end) {
          await this.send(this.next++);
        }
      }),
    );
    return this.samples.slice(first);
  }

  /** Starts `concurrency` workers that send until stop(). */
  start(concurrency: number): void {
    this.stopped = false;
    this.workers = Array.from({ length: concurrency }, async () => {
      while (!this.stopped) {
        await this.send(this.next++);
      }
    });
  }

  /** Stops the workers and waits for their last requests. */
  async stop(): Promise<void> {
    this.stopped = true;
    await Promise.all(this.workers);
    this.workers = [];
  }

  private async send(n: number): Promise<void> {
    const { key, body } = this.request(n);
    const startedAt = performance.now();
    try {
      const response = await fetch(this.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(this.requestTimeoutMs),
      });
      const text = await response.text();
      const endedAt = performance.now();
      this.samples.push({
        n,
        key,
        startedAt,
        endedAt,
        ms: endedAt - startedAt,
        status: response.status,
        retryAfter: response.headers.get('retry-after'),
        body: text,
      });
    } catch (error) {
      const endedAt = performance.now();
      this.samples.push({ n, key, startedAt, endedAt, ms: endedAt - startedAt, status: 0, retryAfter: null, body: '', error: String(error) });
    }
  }
}

/** The p-th percentile (0-100) of `values`, nearest-rank; NaN when empty. */
export function percentile(values: number[], p: number): number {
  if (values.length === 0) {
    return Number.NaN;
  }
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank];
}

/** "n=…, p50 …, p95 …, p99 …, max … ms" for a report line. */
export function latencySummary(values: number[]): string {
  if (values.length === 0) {
    return 'n=0';
  }
  const f = (v: number) => `${Math.round(v)}`;
  return `n=${values.length}, p50 ${f(percentile(values, 50))}, p95 ${f(percentile(values, 95))}, p99 ${f(percentile(values, 99))}, max ${f(Math.max(...values))} ms`;
}

/** Counts of each value, e.g. HTTP statuses: {"202": 180, "503": 20}. */
export function countBy<T>(items: T[], key: (item: T) => string | number): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const item of items) {
    const k = String(key(item));
    counts[k] = (counts[k] ?? 0) + 1;
  }
  return counts;
}
