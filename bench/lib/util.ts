import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Shared broker of the machine (never stopped or blocked by the benchmark). */
export const AMQP_URL = process.env.AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672';

/** This file is bench/.build/bench/lib/util.js once compiled: bench/.build is two folders up. */
const BUILD_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const BENCH_DIR = resolve(BUILD_DIR, '..');
export const LOGS_DIR = resolve(BENCH_DIR, '.logs');

/** Compiled path of a bench or src module, e.g. `bench/subjects/raw-consumer.js`. */
export function builtPath(relative: string): string {
  return resolve(BUILD_DIR, relative);
}

export const sleep = (ms: number): Promise<void> => new Promise((done) => setTimeout(done, ms));

/** Random suffix for broker names, so runs never share queues with tests or each other. */
export function randomSuffix(): string {
  return randomBytes(3).toString('hex');
}

/** Positive integer from the environment, or the fallback. */
export function envInt(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw.trim() === '') {
    return fallback;
  }
  const value = Number(raw);
  if (!Number.isFinite(value) || value < 0) {
    throw new Error(`${name} must be a number ≥ 0, got '${raw}'`);
  }
  return Math.floor(value);
}

/** Comma-separated names from the environment, kept in `all`'s order; every name when unset. */
export function envList<T extends string>(name: string, all: readonly T[]): T[] {
  const wanted = (process.env[name] ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const unknown = wanted.filter((w) => !(all as readonly string[]).includes(w));
  if (unknown.length > 0) {
    throw new Error(`${name}: unknown ${unknown.join(', ')} (known: ${all.join(', ')})`);
  }
  return wanted.length === 0 ? [...all] : all.filter((name) => wanted.includes(name));
}

/** Rejects with `what timed out after N ms` if the promise does not settle in time. */
export async function withDeadline<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`${what} timed out after ${ms} ms`)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/** Polls `check` until it returns true, or throws at the deadline. */
export async function pollUntil(check: () => Promise<boolean> | boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await Promise.resolve(check()).catch(() => false)) {
      return;
    }
    if (Date.now() >= deadline) {
      throw new Error(`${what}: not reached within ${timeoutMs} ms`);
    }
    await sleep(250);
  }
}

/** A TCP port free right now on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolvePort(address.port) : reject(new Error('no port'))));
    });
  });
}

export function round(value: number, digits = 0): number {
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}

/** The middle value (the mean of the two middle ones for an even count). */
export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

/** `a / b` rounded to 2 digits, or null when either side is missing. */
export function ratio(a: number | null | undefined, b: number | null | undefined): number | null {
  return a == null || b == null || !Number.isFinite(a) || !Number.isFinite(b) || b === 0 ? null : round(a / b, 2);
}

export function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

export function log(message: string): void {
  process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${message}\n`);
}
