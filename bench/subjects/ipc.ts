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

export function fail(error: unknown): never {
  console.error(error instanceof Error ? (error.stack ?? error.message) : String(error));
  process.exit(1);
}
