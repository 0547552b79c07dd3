import { afterAll, describe, expect, it } from '@jest/globals';
import { ServiceProcess } from './support/service-process.js';
import { waitFor } from './support/wait-for.js';
import { freePort } from './support/free-port.js';
import { runDlqCli } from './support/dlq-cli.js';

const PASSWORD = 'S3cr3t-Pa55-w0rd';

describe('the AMQP password never appears in any output', () => {
  let service: ServiceProcess | undefined;

  afterAll(async () => {
    await service?.stop();
  });

  it('is absent from logs, errors, health and metrics while the broker refuses the credentials', async () => {
    const port = await freePort();
    const metricsPort = await freePort();
    service = await ServiceProcess.startListening({
      PORT: port,
      METRICS_PORT: metricsPort,
      AMQP_URL: `amqp://guest:${PASSWORD}@127.0.0.1:5672`,
      SERVICE_NAME: `t-secret-${port}`,
      EVENTS_EXCHANGE: `t-secret-${port}.events`,
      PUBLISH_TIMEOUT_MS: '500',
    });
    // The broker refuses the login: the service keeps retrying and logging why.
    await waitFor('a failed connection attempt to be logged', () => service!.logs.includes('could not connect'));
    const base = `http://127.0.0.1:${port}`;
    const ready = await fetch(`${base}/health/ready`);
    expect(ready.status).toBe(503);
    const bodies = [
      await ready.text(),
      await (await fetch(`${base}/health/live`)).text(),
      await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text(),
      await (
        await fetch(`${base}/users`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ email: 'a@example.com', name: 'A' }),
        })
      ).text(),
    ];
    expect(bodies[2]).toContain('warren_connection_up');
    expect(bodies[3]).toContain('event not accepted');
    for (const output of [...bodies, service.logs]) {
      expect(output).not.toContain(PASSWORD);
    }
    expect(service.logs).toContain('amqp://guest:***@127.0.0.1:5672');
  });

  it('is absent from the start-up error for an invalid configuration', async () => {
    const failing = await ServiceProcess.run({ AMQP_URL: `amqp://guest:${PASSWORD}@127.0.0.1:5672`, PREFETCH: '0' });
    expect(failing.code).toBe(1);
    expect(failing.output).toContain('PREFETCH must be an integer from 1');
    expect(failing.output).not.toContain(PASSWORD);
  });

  /*
   * Issue 21, point 3: the list was split at the ',' inside the password and each part masked on
   * its own; a part without '@' has nothing to mask up to, so both halves were printed:
   * "AMQP_URL (URL 1 of 2) 'amqp://u:Sec2Pw' has a port…; AMQP_URL (URL 2 of 2) 'Zq7xK@host' must start…".
   */
  describe("a password holding a ',' (the list splits inside it)", () => {
    const env = { AMQP_URL: 'amqp://u:Sec2Pw,Zq7xK@127.0.0.1:5672', PORT: '1' };
    const expected = [
      'AMQP_URL (URL 1 of 2) has a port that is not a number from 1 to 65535',
      "AMQP_URL (URL 2 of 2) must start with amqp:// or amqps:// (a ',' inside a user name or password must be written %2C)",
    ];

    it('is absent, in both halves, from the service start-up error', async () => {
      const failing = await ServiceProcess.run(env);
      expect(failing.code).toBe(1);
      for (const line of expected) {
        expect(failing.output).toContain(line);
      }
      expect(failing.output).not.toMatch(/Sec2Pw|Zq7xK/);
    });

    it('is absent, in both halves, from the dlq command error', async () => {
      const result = await runDlqCli(['list'], env);
      expect(result.code).toBe(1);
      for (const line of expected) {
        expect(result.stderr).toContain(line);
      }
      expect(result.stdout + result.stderr).not.toMatch(/Sec2Pw|Zq7xK/);
    });
  });
});
