/** What a subject process tells the harness, over the IPC channel `spawn` opened. */
export function tell(message: { type: string; [key: string]: unknown }): void {
  process.send?.(message);
}

/** Reads a required environment variable of a subject. */
export function need(name: string): string {
  const value = process.env[name];
  if (value === undefined || value === '') {
    throw new Error(`subject needs ${name}`);
  }
  return value;
}

/** Optional integer setting; 'unset' or empty leaves it undefined (the library default applies). */
export function optionalInt(name: string): number | undefined {
  const value = process.env[name];
  if (value === undefined || value === '' || value === 'unset') {
    return undefined;
  }
  const parsed = Number(value);
  if (!Number.isInteger(parsed)) {
    throw new Error(`${name} must be an integer, got '${value}'`);
  }
  return parsed;
}

/** Optional boolean setting; 'unset' or empty leaves it undefined. */
export function optionalBool(name: string): boolean | undefined {
  const value = process.env[name];
  if (value === undefined || value === '' || value === 'unset') {
    return undefined;
  }
  return value === 'true' || value === '1';
}

/**
 * A benchmark subject must die when the harness dies (its IPC channel closes), so a crashed or
 * interrupted harness never leaves consumers holding messages on the shared broker.
 */
export function dieWithHarness(): void {
  process.on('disconnect', () => process.exit(3));
}

/** Closes the subject's Nest app (20 s at the most, as a hung close must not keep it alive), then exits with `code`. */
export async function closeAndExit(app: { close(): Promise<void> } | undefined, code: number): Promise<void> {
  const timer = setTimeout(() => process.exit(code), 20_000);
  try {
    await app?.close();
  } catch (error) {
    console.error(`close failed: ${String(error)}`);
  }
  clearTimeout(timer);
  process.exit(code);
}

/** basic.deliver frames received, when bench/subjects/delivery-counter.js is preloaded (poison scenario). */
export function deliveriesSoFar(): number | undefined {
  return (globalThis as { benchDeliveries?: number }).benchDeliveries;
}

export function fail(error: unknown): never {
  console.error(error instanceof Error ? (error.stack ?? error.message) : String(error));
  process.exit(1);
}

/** BENCH_WARMUP: after this many handled messages a drain subject says `warm` with its CPU so far (0: never). */
const warmupAt = Number(process.env.BENCH_WARMUP ?? 0);

/** User + system CPU of this process so far, in µs (all threads, as /proc counts it). */
function cpuMicros(): number {
  const { user, system } = process.cpuUsage();
  return user + system;
}

/**
 * A drain subject's counters: deliveries received, messages handled (returned normally). Says `warm`
 * at BENCH_WARMUP, so that the harness measures the steady state (JIT and first-use costs of each
 * library left out alike), and `done` once at `expect` handled, with the times from the first
 * delivery and from ready to the last.
 */
export class DrainCount {
  received = 0;
  handled = 0;
  private firstAt = 0;
  private readyAt = 0;
  private doneSent = false;

  constructor(private readonly expect: number) {}

  /** The subject consumes from now on. */
  ready(): void {
    this.readyAt = performance.now();
  }

  receivedOne(): void {
    this.received++;
    if (this.received === 1) {
      this.firstAt = performance.now();
    }
  }

  /** Counts one handled message; true (once) when it was the expected last and `done` was told: the subject may close. */
  handledOne(): boolean {
    this.handled++;
    if (this.handled === warmupAt) {
      tell({ type: 'warm', handled: this.handled, cpuMicros: cpuMicros() });
    }
    if (this.handled < this.expect || this.doneSent) {
      return false;
    }
    this.doneSent = true;
    const doneAt = performance.now();
    tellDone({ handled: this.handled, firstToLastMs: doneAt - this.firstAt, readyToLastMs: doneAt - this.readyAt });
    return true;
  }
}

/** The `done` message of a drain subject, with its CPU so far. */
export function tellDone(fields: Record<string, unknown>): void {
  tell({ type: 'done', ...fields, cpuMicros: cpuMicros() });
}
