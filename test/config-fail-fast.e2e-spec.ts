/**
 * A bad setting stops the real service (`node dist/main.js`) at once: exit 1 and one line naming
 * the variable, never a stack trace, never the broker password (issue 12, observation 6).
 * Before: bad AMQP_URL forms retried "Invalid URL" forever; library option errors exited with a
 * stack naming internal options; SHUTDOWN_DELAY_MS=99999999999 became 1 ms.
 */
import { describe, expect, it } from '@jest/globals';
import { ServiceProcess } from './support/service-process.js';

/** Nothing listens there, and nothing must be tried: the process must stop before connecting. */
const UNUSED_URL = 'amqp://guest:guest@127.0.0.1:1';
/** The same for PostgreSQL: a process that stops at its configuration needs no database of its own. */
const UNUSED_DATABASE_URL = 'postgres://postgres@127.0.0.1:1/unused';

// Each case is its own process and waits only on it, so they run side by side (jest's maxConcurrency, 5).
describe('configuration fails fast at start-up', () => {
  it.concurrent.each([
    // A URL that does not parse is named by its position, never shown (issue 21, point 3).
    ['AMQP_URL', 'amqp://warren:s3cretPw@broker:99999', 'AMQP_URL has a port that is not a number from 1 to 65535'],
    ['AMQP_URL', 'amqp://warren:s3cretPw@broker:abc', 'AMQP_URL has a port that is not a number from 1 to 65535'],
    ['AMQP_URL', 'amqp://warren:s3cretPw@[::1', "AMQP_URL has an IPv6 host without its closing ']'"],
    ['AMQP_URL', 'amqp://warren:s3cretPw@broker/a/b', "AMQP_URL has a vhost with a raw '/'"],
    ['AMQP_URL', 'amqp://a:s3cretPw@h1:5672,http://b:s3cretPw@h2', 'AMQP_URL (URL 2 of 2) must start with amqp:// or amqps://'],
    ['HANDLER_TIMEOUT_MS', '99999999999', 'HANDLER_TIMEOUT_MS must be an integer from 1 to 2147483647'],
    ['SHUTDOWN_DELAY_MS', '99999999999', 'SHUTDOWN_DELAY_MS must be at most 2147483647'],
    ['SHUTDOWN_GRACE_MS', '99999999999', 'SHUTDOWN_GRACE_MS must be an integer from 0 to 2147483647'],
    ['HTTP_KEEP_ALIVE_TIMEOUT_MS', '99999999999', 'HTTP_KEEP_ALIVE_TIMEOUT_MS must be at most 2147483647'],
    // The environment's own pattern accepts it; the library's retry policy refuses it, named by variable.
    ['RETRY_DELAYS_MS', '0', 'RETRY_DELAYS_MS entries must be integers from 1 to 86400000 ms, got 0'],
    ['RETRY_DELAYS_MS', '1000,99999999999', 'RETRY_DELAYS_MS entries must be integers from 1 to 86400000 ms, got 99999999999'],
    ['RECONNECT_MAX_MS', '100', 'RECONNECT_MAX_MS (100) must be at least RECONNECT_BASE_MS (500)'],
    ['MEMORY_HIGH_WATERMARK_BYTES', '1', 'MEMORY_HIGH_WATERMARK_BYTES must be 0 (derived from the memory limit) or at least 67108864'],
    ['METRICS_PORT', '70000', 'METRICS_PORT must be at most 65535'],
  ])('%s=%s exits 1 with one line naming it', async (name, value, expected) => {
    const env = { PORT: '1', AMQP_URL: UNUSED_URL, DATABASE_URL: UNUSED_DATABASE_URL, [name]: value };
    const { code, output } = await ServiceProcess.run(env, 30_000);
    const lines = output.split('\n').filter((line) => line.trim() !== '');
    expect({ code, lines }).toEqual({ code: 1, lines: [expect.stringContaining(expected)] });
    expect(lines[0]).toMatch(/^InvalidConfigError: invalid configuration: /);
    expect(output).not.toContain('s3cretPw');
    expect(output).not.toMatch(/\n\s+at /);
  });
});
