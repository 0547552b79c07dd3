/**
 * One line per reason per interval. During an outage every request fails the same way: a
 * 20 s blocked-broker flood once wrote 43,384 identical warnings (14 MB). The first warning of a
 * reason is written; the rest of its interval is counted, and when the interval ends one line
 * says how many were held back ("… (repeated 4,312 times in the last 10 s)").
 */

/** Length of one interval of a reason. */
export const DEFAULT_REPEAT_INTERVAL_MS = 10_000;
/** Reasons remembered at once: memory stays bounded whatever producers make the service log. */
export const DEFAULT_MAX_REASONS = 1_000;

export interface RepeatedWarningsOptions {
  /** @default DEFAULT_REPEAT_INTERVAL_MS */
  intervalMs?: number;
  /** @default DEFAULT_MAX_REASONS */
  maxReasons?: number;
  /** Writes the summary line of a reason (bypassing the limiter). */
  emit: (text: string, context: string | undefined) => void;
}

interface ReasonWindow {
  startedAt: number;
  suppressed: number;
  /** The last held-back warning, rendered only if a summary is written. */
  last: () => string;
  context: string | undefined;
  timer?: NodeJS.Timeout;
}

export class RepeatedWarningsLimiter {
  private readonly windows = new Map<string, ReasonWindow>();
  private readonly intervalMs: number;
  private readonly maxReasons: number;

  constructor(private readonly options: RepeatedWarningsOptions) {
    this.intervalMs = options.intervalMs ?? DEFAULT_REPEAT_INTERVAL_MS;
    this.maxReasons = options.maxReasons ?? DEFAULT_MAX_REASONS;
  }

  /**
   * True when this warning is to be written now; false when it is counted towards its reason's
   * summary. `text` renders it, and is only called if it ends up in a summary.
   */
  admit(reason: string, text: () => string, context: string | undefined): boolean {
    const now = Date.now();
    let window = this.windows.get(reason);
    if (window && window.suppressed > 0 && now - window.startedAt >= this.intervalMs) {
      // The interval is over but its timer has not run yet (a busy event loop): write its count
      // now; the summary starts the next interval, which this warning then belongs to.
      this.flush(reason);
      window = this.windows.get(reason);
    }
    if (window && now - window.startedAt < this.intervalMs) {
      window.suppressed += 1;
      window.last = text;
      window.timer ??= unrefTimer(() => this.flush(reason), window.startedAt + this.intervalMs - now);
      return false;
    }
    this.open(reason, now, context, text);
    return true;
  }

  /** Writes every pending summary now (e.g. before the process exits). */
  flushAll(): void {
    for (const [reason, window] of [...this.windows]) {
      if (window.suppressed > 0) {
        this.flush(reason);
      }
    }
  }

  /** Reasons currently remembered (for tests of the bound). */
  get size(): number {
    return this.windows.size;
  }

  private open(reason: string, now: number, context: string | undefined, last: () => string): void {
    clearTimeout(this.windows.get(reason)?.timer); // a stale timer must not cut the new interval short
    this.windows.delete(reason); // re-inserted last: the Map's first entry is the oldest reason
    while (this.windows.size >= this.maxReasons) {
      const [oldest, window] = this.windows.entries().next().value as [string, ReasonWindow];
      if (window.suppressed > 0) {
        this.flush(oldest);
      }
      this.windows.delete(oldest);
    }
    this.windows.set(reason, { startedAt: now, suppressed: 0, last, context });
  }

  private flush(reason: string): void {
    const window = this.windows.get(reason);
    if (!window) {
      return;
    }
    clearTimeout(window.timer);
    window.timer = undefined;
    if (window.suppressed > 0) {
      const seconds = Math.max(1, Math.round((Date.now() - window.startedAt) / 1000));
      this.options.emit(
        `${window.last()} (repeated ${window.suppressed.toLocaleString('en-US')} ${window.suppressed === 1 ? 'time' : 'times'} in the last ${seconds} s)`,
        window.context,
      );
    }
    // A new interval starts with the summary: a flood that goes on still gives one line per interval.
    this.open(reason, Date.now(), window.context, window.last);
  }
}

/** How every summary line ends (flush): `… (repeated 4,312 times in the last 10 s)`. */
const SUMMARY = / \(repeated [\d,]+ times? in the last \d+ s\)$/;

/**
 * Whether a line is a limiter's summary: already one per reason per interval, so a second
 * limiter down the line (the app's logger behind the library's) must write it as is.
 */
export function isRepeatSummary(text: string): boolean {
  return SUMMARY.test(text);
}

/**
 * The reason of a warning: its context and its text with the variable parts (ids, numbers)
 * removed, so "retrying in 512 ms" and "retrying in 1024 ms" are the same reason.
 */
export function warningReason(context: string | undefined, text: string): string {
  const template = text
    .slice(0, 512)
    .replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi, '<id>')
    .replace(/\d+/g, '#');
  return `${context ?? ''}|${template}`;
}

function unrefTimer(callback: () => void, ms: number): NodeJS.Timeout {
  const timer = setTimeout(callback, Math.max(0, ms));
  timer.unref(); // a pending summary never keeps the process alive
  return timer;
}
