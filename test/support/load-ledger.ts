/**
 * Steady HTTP load on the real service and the books to prove "nothing accepted is lost":
 * `LoadGenerator` sends `POST /users` at a bounded rate with a unique email per request and
 * records what each answer means; `tally()` compares the accepted emails (202) with the ones the
 * service logged as mailed (`mail to <email>` from src/notifications/logging-mailer.ts).
 *
 * - accepted    202: the broker confirmed the event (persisted) before the answer
 * - unavailable 503: the service said "not accepted, retry" (a real client would retry)
 * - failed      no answer, another status, or the request timed out (e.g. the service was
 *               SIGKILLed mid-request): not accepted either
 * Every event not answered 202 may still have been published (confirm lost with the connection):
 * if it is processed it shows up as `processedNotAccepted`, which is harmless.
 */

export interface LoadOptions {
  /** HTTP port of the service (read on every request, so a restarted service can take over). */
  port: () => string | number;
  /** Requests per second (default 50). */
  ratePerSecond?: number;
  /** Stop after this many requests (default unlimited, bounded by `stop()`). */
  maxRequests?: number;
  /** A request that has no answer after this long counts as failed (default 10 s). */
  requestTimeoutMs?: number;
  /** At most this many requests in flight; a tick beyond it is skipped and counted (default 400). */
  maxInFlight?: number;
  /** Emails are `<prefix>-<n>@example.com`; unique per run so logs of other runs never match. */
  emailPrefix: string;
}

export interface LoadCounts {
  sent: number;
  accepted: number;
  unavailable: number;
  failed: number;
  skipped: number;
  inFlight: number;
}

interface Answer {
  at: number;
  outcome: 'accepted' | 'unavailable' | 'failed';
  status?: number;
}

export class LoadGenerator {
  readonly accepted = new Set<string>();
  readonly unavailable = new Set<string>();
  readonly failed = new Set<string>();
  /** A few failure descriptions (status or error), for diagnosis. */
  readonly failureSamples: string[] = [];
  private readonly answers: Answer[] = [];
  private readonly inFlight = new Set<Promise<void>>();
  private sent = 0;
  private skipped = 0;
  private timer?: NodeJS.Timeout;
  private startedAt = 0;
  private stopped?: Promise<void>;
  private readonly rate: number;
  private readonly timeoutMs: number;
  private readonly maxInFlight: number;

  private constructor(private readonly options: LoadOptions) {
    this.rate = options.ratePerSecond ?? 50;
    this.timeoutMs = options.requestTimeoutMs ?? 10_000;
    this.maxInFlight = options.maxInFlight ?? 400;
  }

  static start(options: LoadOptions): LoadGenerator {
    const load = new LoadGenerator(options);
    load.begin();
    return load;
  }

  /** Sends on a fixed schedule (catching up after a slow tick, never bursting beyond 10 at once). */
  private begin(): void {
    this.startedAt = Date.now();
    const tickMs = 20;
    this.timer = setInterval(() => {
      const due = Math.floor(((Date.now() - this.startedAt) / 1000) * this.rate);
      let burst = 0;
      while (this.sent + this.skipped < due && burst < 10) {
        if (this.options.maxRequests !== undefined && this.sent + this.skipped >= this.options.maxRequests) {
          clearInterval(this.timer);
          return;
        }
        burst += 1;
        if (this.inFlight.size >= this.maxInFlight) {
          this.skipped += 1;
          continue;
        }
        this.send(this.sent);
        this.sent += 1;
      }
    }, tickMs);
  }

  private send(n: number): void {
    const email = `${this.options.emailPrefix}-${n}@example.com`;
    const request = (async () => {
      let answer: Answer;
      try {
        const response = await fetch(`http://127.0.0.1:${this.options.port()}/users`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ email, name: `load ${n}` }),
          signal: AbortSignal.timeout(this.timeoutMs),
        });
        await response.arrayBuffer().catch(() => undefined);
        if (response.status === 202) {
          answer = { at: Date.now(), outcome: 'accepted', status: 202 };
          this.accepted.add(email);
        } else if (response.status === 503) {
          answer = { at: Date.now(), outcome: 'unavailable', status: 503 };
          this.unavailable.add(email);
        } else {
          answer = { at: Date.now(), outcome: 'failed', status: response.status };
          this.failed.add(email);
          this.sample(`HTTP ${response.status}`);
        }
      } catch (error) {
        answer = { at: Date.now(), outcome: 'failed' };
        this.failed.add(email);
        const cause = (error as { cause?: { code?: string } }).cause?.code;
        this.sample(`${(error as Error).name}${cause ? ` ${cause}` : ''}`);
      }
      this.answers.push(answer);
    })();
    this.inFlight.add(request);
    void request.finally(() => this.inFlight.delete(request));
  }

  private sample(description: string): void {
    if (this.failureSamples.length < 20 && !this.failureSamples.includes(description)) {
      this.failureSamples.push(description);
    }
  }

  counts(): LoadCounts {
    return {
      sent: this.sent,
      accepted: this.accepted.size,
      unavailable: this.unavailable.size,
      failed: this.failed.size,
      skipped: this.skipped,
      inFlight: this.inFlight.size,
    };
  }

  /** Time of the first 202 answered at or after `since` (epoch ms), if any. */
  firstAcceptedAfter(since: number): number | undefined {
    return this.answers.find((a) => a.outcome === 'accepted' && a.at >= since)?.at;
  }

  /** Stops sending and waits for every request in flight to be answered or to time out. */
  stop(): Promise<void> {
    this.stopped ??= (async () => {
      clearInterval(this.timer);
      while (this.inFlight.size > 0) {
        await Promise.allSettled([...this.inFlight]);
      }
    })();
    return this.stopped;
  }
}

/** Emails of the `mail to <email>:` lines in service output, one entry per line (repeats kept). */
export function mailedEmails(outputs: string[], emailPrefix: string): string[] {
  const pattern = new RegExp(`mail to (${escapeRegExp(emailPrefix)}-\\d+@example\\.com):`, 'g');
  const emails: string[] = [];
  for (const output of outputs) {
    for (const match of output.matchAll(pattern)) {
      emails.push(match[1]);
    }
  }
  return emails;
}

export interface Tally {
  accepted: number;
  unavailable: number;
  failed: number;
  /** distinct emails mailed (accepted or not) */
  processed: number;
  /** accepted but never mailed: must be 0 */
  lost: number;
  /** mail lines beyond the first per email (at-least-once redeliveries) */
  duplicates: number;
  /** mailed although the answer was not 202 (confirm lost with the connection): harmless */
  processedNotAccepted: number;
  /** a few lost emails, for the failure message */
  lostSample: string[];
}

/** Accepted vs processed for one load run over the outputs of every service process involved. */
export function tally(load: LoadGenerator, outputs: string[], emailPrefix: string): Tally {
  const lines = mailedEmails(outputs, emailPrefix);
  const mailed = new Set(lines);
  const lost = [...load.accepted].filter((email) => !mailed.has(email));
  return {
    accepted: load.accepted.size,
    unavailable: load.unavailable.size,
    failed: load.failed.size,
    processed: mailed.size,
    lost: lost.length,
    duplicates: lines.length - mailed.size,
    processedNotAccepted: [...mailed].filter((email) => !load.accepted.has(email)).length,
    lostSample: lost.slice(0, 5),
  };
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
