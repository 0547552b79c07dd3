/** Waiting with a deadline, and trimming log output for error messages. */

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** An error that ends a poll at once (e.g. the server process died while we waited for it). */
export class Fatal extends Error {}

/**
 * Polls `probe` until it returns true or the deadline passes, then throws
 * "timed out after N ms waiting for <what>" with the last probe error.
 */
export async function pollUntil(what: string, deadline: number, probe: () => Promise<boolean> | boolean, intervalMs = 200): Promise<void> {
  const started = Date.now();
  let lastError: unknown;
  for (;;) {
    try {
      if (await probe()) {
        return;
      }
    } catch (error) {
      if (error instanceof Fatal) {
        throw new Error(error.message, { cause: error });
      }
      lastError = error;
    }
    if (Date.now() >= deadline) {
      const detail = lastError ? `; last error: ${lastError instanceof Error ? lastError.message : String(lastError)}` : '';
      throw new Error(`timed out after ${Date.now() - started} ms waiting for ${what}${detail}`);
    }
    await sleep(Math.min(intervalMs, Math.max(0, deadline - Date.now())));
  }
}

export function tail(text: string, max: number): string {
  return text.length <= max ? text : `…${text.slice(text.length - max)}`;
}
