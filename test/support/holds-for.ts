/**
 * Checks that `probe` stays truthy for the whole of `durationMs`, polling every `intervalMs`:
 * the way to assert that something does NOT happen (no delivery while paused) without a
 * sleep-then-assert, which would miss a delivery that came and went in between. Throws at the
 * first poll that sees it false, naming what broke and the value seen.
 */
export async function holdsFor<T>(
  what: string,
  probe: () => T | Promise<T>,
  { durationMs, intervalMs = 50 }: { durationMs: number; intervalMs?: number },
): Promise<void> {
  const started = Date.now();
  const end = started + durationMs;
  let polls = 0;
  for (;;) {
    const value = await probe();
    polls += 1;
    if (!value) {
      throw new Error(`${what} stopped holding after ${Date.now() - started} ms (poll ${polls}); value: ${JSON.stringify(value)}`);
    }
    if (Date.now() >= end) {
      return;
    }
    await new Promise((resolve) => setTimeout(resolve, Math.min(intervalMs, Math.max(0, end - Date.now()))));
  }
}
