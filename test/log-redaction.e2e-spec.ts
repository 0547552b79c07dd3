import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, it } from '@jest/globals';
import { BrokerProbe, SHARED_AMQP_URL, uniqueNames } from './support/broker.js';
import { removeTopology } from './support/demo-app.js';
import { waitFor } from './support/wait-for.js';

const FIXTURE = new URL('./fixtures/leaky-handler-service.mjs', import.meta.url);
/** A password with every character that used to end the mask early: quotes and '@'. */
const PASSWORD = `pa'ss"w@rd`;
const LEAKED_URL = `amqp://orders:${PASSWORD}@mq.internal:5672/prod`;
const MASKED_URL = 'amqp://orders:***@mq.internal:5672/prod';

/** The fields of a JSON log record this test reads. */
interface JsonRecord {
  level: string;
  context?: string;
  message: unknown;
  stack?: string;
  error?: { message: string; stack: string; cause: { stack: string } };
}

/**
 * Issue 12 observation 3 (redaction): a handler error carrying a URL with a password in its
 * message, stack and cause, logged as an error object by the handler and by warren's retry warning,
 * plus a stack passed as text and a nested object, in a real process with the service's logger
 * in both formats. The password must appear nowhere; the URL must still be recognisable.
 */
describe.each(['json', 'text'] as const)('redaction of stacks, error objects and nested objects (LOG_FORMAT=%s)', (format) => {
  const names = uniqueNames(`redact-${format}`);
  const queue = `${names.serviceName}.leak`;
  let child: ChildProcess | undefined;
  let probe: BrokerProbe | undefined;
  let output = '';

  afterEach(async () => {
    child?.kill('SIGKILL');
    await probe?.close();
    await removeTopology(names.exchange, [queue, `${queue}.retry.1000`]);
  });

  it('masks the password everywhere, frames kept on their own lines', async () => {
    child = spawn(process.execPath, [FIXTURE.pathname], {
      env: {
        ...process.env,
        NO_COLOR: '1',
        AMQP_URL: SHARED_AMQP_URL,
        SERVICE_NAME: names.serviceName,
        EVENTS_EXCHANGE: names.exchange,
        LOG_FORMAT: format,
        LEAKED_URL,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    await waitFor('the fixture service to be ready', () => output.includes('READY'), { timeoutMs: 30_000 });

    probe = await BrokerProbe.open();
    probe.publish(names.exchange, 'leak.event', JSON.stringify({ id: randomUUID() }), { contentType: 'application/json' });
    await waitFor('the handler error and its retry to be logged', () => output.includes('LeakyHandler') && output.includes('retry 1 of message'), {
      timeoutMs: 30_000,
    }).catch((error: Error) => {
      throw new Error(`${error.message}\n--- output ---\n${output.slice(-3000)}`);
    });

    for (const secret of [PASSWORD, 'w@rd', `pa'ss`, 'ss"w']) {
      expect(output).not.toContain(secret);
    }
    const lines = output.split('\n').filter((line) => line !== '');
    // The handler's error object: message, stack and cause, masked.
    if (format === 'json') {
      const records = lines.filter((line) => line !== 'READY').map((line) => JSON.parse(line) as JsonRecord);
      const record = records.find((r) => r.context === 'LeakyHandler')!;
      expect(record.error!.message).toBe(`connect ECONNREFUSED ${MASKED_URL}`);
      expect(record.error!.stack).toContain(`Error: connect ECONNREFUSED ${MASKED_URL}\n    at `);
      expect(record.error!.cause.stack).toContain(`socket closed by ${MASKED_URL}`);
      const stackRecord = records.find((r) => r.context === 'Downstream' && r.stack)!;
      expect(stackRecord.stack).toBe(`Error: refused ${MASKED_URL}\n    at connect (/app/dist/client.js:10:5)`);
      const nested = records.find((r) => r.context === 'Downstream' && r.level === 'warn')!;
      expect(nested.message).toEqual({ downstream: { urls: [MASKED_URL], retries: 3 } });
    } else {
      const at = lines.findIndex((line) => line.includes('[LeakyHandler]'));
      expect(lines[at]).toContain(`Error: connect ECONNREFUSED ${MASKED_URL}`);
      expect(lines[at + 1]).toMatch(/^ {4}at /); // the stack's frames follow, one per line
      expect(output).toContain(`[cause] Error: socket closed by ${MASKED_URL}`);
      expect(output).toContain(`Error: refused ${MASKED_URL}\n    at connect (/app/dist/client.js:10:5)`);
      expect(output).toContain(`urls: [ '${MASKED_URL}' ]`);
    }
    expect(lines.find((line) => line.includes('retry 1 of message'))).toContain(MASKED_URL);
  }, 90_000);
});
