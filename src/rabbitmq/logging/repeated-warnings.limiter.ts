/**
 * One line per reason per interval. During an outage every request fails the same way: a
 * 20 s blocked-broker flood once wrote 43,384 identical warnings (14 MB). The first warning of a
 * reason is written; the rest are counted, and one summary line says what was held back, like
 * which written line, and over how long:
 * `held back 4,312 more like "retry 1 of message m-1 on q …" in the last 10 s; the last: retry 1 of message m-4313 on q …`.
 * The summary comes as soon as the burst is over (no warning of its reason for `quietMs`), not
 * at the end of the interval, so it is read next to the burst it counts; a flood that goes on is
 * summarised once per interval. So a reason writes at most one line per burst and, within a
 * burst, one per interval, however many warnings it has.
 */

/** Length of one interval of a reason. */
export const DEFAULT_REPEAT_INTERVAL_MS = 10_000;
/** A burst is over when its reason has been quiet this long: its summary is written then. */
export const DEFAULT_QUIET_MS = 1_000;
/** Longest quote of the written line a summary names (the first line of the burst). */
const MAX_QUOTE_CHARS = 120;
/** Reasons remembered at once: memory stays bounded whatever producers make the service log. */
export const DEFAULT_MAX_REASONS = 1_000;

export interface RepeatedWarningsOptions {
  /** @default DEFAULT_REPEAT_INTERVAL_MS */
  intervalMs?: number;
  /** @default DEFAULT_MAX_REASONS */
  maxReasons?: number;
  /** @default DEFAULT_QUIET_MS */
  quietMs?: number;
  /** Writes the summary line of a reason (bypassing the limiter). */
  emit: (text: string, context: string | undefined) => void;
}

interface ReasonWindow {
  startedAt: number;
  suppressed: number;
  /** The warning the held-back ones are like (the burst's written line), rendered only for a summary. */
  first: () => string;
  /** The last held-back warning, rendered only if a summary is written. */
  last: () => string;
  /** When the last one was held back: the burst is over `quietMs` after it. */
  lastAt: number;
  context: string | undefined;
  timer?: NodeJS.Timeout;
}

export class RepeatedWarningsLimiter {
  private readonly windows = new Map<string, ReasonWindow>();
  private readonly intervalMs: number;
  private readonly maxReasons: number;
  private readonly quietMs: number;

  constructor(private readonly options: RepeatedWarningsOptions) {
    this.intervalMs = options.intervalMs ?? DEFAULT_REPEAT_INTERVAL_MS;
    this.maxReasons = options.maxReasons ?? DEFAULT_MAX_REASONS;
    this.quietMs = options.quietMs ?? DEFAULT_QUIET_MS;
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
      window.lastAt = now;
      // One timer per window, not one per warning: when it fires it checks whether the burst is really over.
      window.timer ??= unrefTimer(() => this.due(reason), this.summaryDueAt(window) - now);
      return false;
    }
    this.open(reason, { startedAt: now, context, first: text });
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

  /** When the window's summary is due: `quietMs` after its last held-back warning, at the latest at its interval's end. */
  private summaryDueAt(window: ReasonWindow): number {
    return Math.min(window.startedAt + this.intervalMs, window.lastAt + this.quietMs);
  }

  /** The summary timer fired: write it, unless warnings came meanwhile and the burst goes on. */
  private due(reason: string): void {
    const window = this.windows.get(reason);
    if (!window) {
      return;
    }
    const at = this.summaryDueAt(window);
    const now = Date.now();
    if (at > now) {
      window.timer = unrefTimer(() => this.due(reason), at - now);
      return;
    }
    this.flush(reason);
  }

  private open(reason: string, start: Pick<ReasonWindow, 'startedAt' | 'context' | 'first'>): void {
    clearTimeout(this.windows.get(reason)?.timer); // a stale timer must not cut the new interval short
    this.windows.delete(reason); // re-inserted last: the Map's first entry is the oldest reason
    while (this.windows.size >= this.maxReasons) {
      const [oldest, window] = this.windows.entries().next().value as [string, ReasonWindow];
      if (window.suppressed > 0) {
        this.flush(oldest);
      }
      this.windows.delete(oldest);
    }
    this.windows.set(reason, { ...start, suppressed: 0, last: start.first, lastAt: start.startedAt });
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
        `held back ${window.suppressed.toLocaleString('en-US')} more like "${quote(window.first())}" in the last ${seconds} s; the last: ${window.last()}`,
        window.context,
      );
    }
    // A new interval starts with the summary: a flood that goes on still gives one line per interval.
    this.open(reason, { startedAt: Date.now(), context: window.context, first: window.first });
  }
}

function quote(text: string): string {
  return text.length > MAX_QUOTE_CHARS ? `${text.slice(0, MAX_QUOTE_CHARS - 1)}…` : text;
}

/** How every summary line starts (flush): `held back 4,312 more like "…" in the last 10 s; the last: …`. */
const SUMMARY = /^held back [\d,]+ more like ".*" in the last \d+ s; the last: /s;

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
