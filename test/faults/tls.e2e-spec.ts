import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { canStartDisposableBroker, disposableBrokerUnavailableReason } from '../support/disposable-broker.js';
import { runDlqCli } from '../support/dlq-cli.js';
import { freePort } from '../support/free-port.js';
import { holdsFor } from '../support/holds-for.js';
import { messageOf } from '../support/service-log-watch.js';
import { ServiceProcess } from '../support/service-process.js';
import { makeCertificates, startTlsBroker, type TestCertificates, type TlsBroker } from '../support/tls-broker.js';
import { waitFor } from '../support/wait-for.js';

/**
 * Issue 5, TLS: a disposable node with an amqps listener and a CA made for this run. The service
 * (node dist/main.js) connects with AMQP_URL=amqps://…@localhost and AMQP_TLS_CA_FILE; without
 * the CA, or with a server name the certificate does not carry, it must not connect and must say
 * why in its log (it keeps running and reports not ready, as with any unreachable broker).
 */
const reason = disposableBrokerUnavailableReason();
if (reason) {
  // eslint-disable-next-line no-console -- a report the test prints on purpose
  console.warn(`skipping TLS e2e: ${reason}`);
}

interface Ready {
  status: number;
  body: { details?: { rabbitmq?: { reasons?: string[] } } };
}

async function readiness(port: string): Promise<Ready> {
  const response = await fetch(`http://127.0.0.1:${port}/health/ready`);
  return { status: response.status, body: (await response.json()) as Ready['body'] };
}

(canStartDisposableBroker() ? describe : describe.skip)('amqps:// with a CA from files, verified against the server name (disposable node)', () => {
  let certs: TestCertificates | undefined;
  let tls: TlsBroker | undefined;
  const services: ServiceProcess[] = [];

  beforeAll(async () => {
    certs = await makeCertificates();
    tls = await startTlsBroker(certs);
  }, 180_000);

  afterEach(async () => {
    for (const service of services.splice(0)) await service.stop();
  });

  afterAll(async () => {
    await tls?.broker.remove();
    await certs?.remove();
  }, 90_000);

  async function env(extra: Record<string, string>): Promise<Record<string, string>> {
    const port = await freePort();
    const name = `tls-${port}`;
    return {
      AMQP_URL: `amqps://guest:guest@localhost:${tls!.tlsPort}`,
      PORT: port,
      SERVICE_NAME: name,
      EVENTS_EXCHANGE: `${name}.events`,
      // One quick retry is enough to see the failure repeat; keep the log short.
      RECONNECT_BASE_MS: '500',
      RECONNECT_MAX_MS: '2000',
      ...extra,
    };
  }

  /** Starts a service that must not connect; returns its first connection failure line. */
  async function failingService(extra: Record<string, string>): Promise<{ service: ServiceProcess; port: string; failure: string }> {
    const vars = await env(extra);
    const service = await ServiceProcess.startListening(vars, 30_000);
    services.push(service);
    const failure = await waitFor(
      'a TLS connection failure in the log',
      () => service.linesWith(`could not connect to amqps://guest:***@localhost:${tls!.tlsPort}`)[0],
      { timeoutMs: 20_000, intervalMs: 100 },
    );
    return { service, port: vars.PORT, failure: messageOf(failure) };
  }

  it('connects with the CA file: ready, and the broker sees a TLS connection', async () => {
    const vars = await env({ AMQP_TLS_CA_FILE: certs!.caFile });
    const service = await ServiceProcess.start(vars, 45_000);
    services.push(service);
    // Every role connected over amqps: publisher, consumer, and replies (the demo answers requests, and replies have a
    // connection of their own). The consumer may log a second connect: a readiness probe racing the first queue
    // declarations closes it once, see the report on QueueDepthReader.
    const roles = ['publisher', 'consumer', 'replies'];
    for (const role of roles) {
      const line = `${vars.SERVICE_NAME}-${role} connected to amqps://guest:***@localhost:${tls!.tlsPort}`;
      await waitFor(`${role} connected over amqps`, () => service.linesWith(line).length >= 1, { timeoutMs: 15_000 });
    }
    const { stdout } = await tls!.broker.ctl(['-q', 'list_connections', 'ssl', 'ssl_protocol', 'client_properties', '--formatter', 'json']);
    const rows = JSON.parse(stdout.slice(stdout.indexOf('['))) as { ssl: boolean; ssl_protocol: string; client_properties: unknown[] }[];
    const ours = rows.filter((row) => JSON.stringify(row.client_properties).includes(vars.SERVICE_NAME));
    expect(ours).toHaveLength(roles.length);
    for (const row of ours) {
      expect(row.ssl).toBe(true);
      expect(row.ssl_protocol).toMatch(/^tlsv1\.[23]$/);
    }
    // And it works end to end over TLS: a POST is confirmed (202) and handled.
    const response = await fetch(`http://127.0.0.1:${vars.PORT}/users`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: 'tls-user@example.com', name: 'TLS' }),
    });
    expect(response.status).toBe(202);
    await waitFor('the welcome mail', () => service.linesWith('mail to tls-user@example.com').length === 1, { timeoutMs: 10_000 });
  }, 90_000);

  it('the dlq CLI connects with the same TLS settings as the service, and refuses an untrusted broker', async () => {
    const vars = await env({ AMQP_TLS_CA_FILE: certs!.caFile });
    services.push(await ServiceProcess.start(vars, 45_000));
    const queue = `${vars.SERVICE_NAME}.notifications.user-registered`;
    const listed = await runDlqCli(['list', queue], vars);
    expect(listed).toMatchObject({ code: 0 });
    expect(listed.stdout).toMatch(new RegExp(`^${queue.replace(/\./g, '\\.')}\\s+${queue.replace(/\./g, '\\.')}\\.dlq\\s+0$`, 'm'));
    const { AMQP_TLS_CA_FILE: _ca, ...withoutCa } = vars;
    const refused = await runDlqCli(['list', queue], withoutCa);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('self-signed certificate in certificate chain');
  }, 90_000);

  it('without the CA file: does not connect, says the certificate is not trusted, stays not ready', async () => {
    const { port, failure } = await failingService({});
    // Node's verification error (SELF_SIGNED_CERT_IN_CHAIN): RabbitMQ sends its chain up to the
    // CA of ssl_options.cacertfile, and that CA is not among the ones Node trusts.
    expect(failure).toContain('self-signed certificate in certificate chain');
    await holdsFor('the service to stay not ready', async () => (await readiness(port)).status === 503, { durationMs: 2_000, intervalMs: 500 });
    expect((await readiness(port)).body.details?.rabbitmq?.reasons).toEqual(
      expect.arrayContaining(['publisher connection down', 'consumer connection down']),
    );
    // eslint-disable-next-line no-console -- a report the test prints on purpose
    console.log(`TLS without CA: ${failure}`);
  }, 60_000);

  it('with AMQP_TLS_SERVERNAME=wrong.example: does not connect, says the host name does not match the certificate', async () => {
    const { port, failure } = await failingService({ AMQP_TLS_CA_FILE: certs!.caFile, AMQP_TLS_SERVERNAME: 'wrong.example' });
    expect(failure).toContain("Hostname/IP does not match certificate's altnames: Host: wrong.example. is not in the cert's altnames: DNS:localhost");
    await holdsFor('the service to stay not ready', async () => (await readiness(port)).status === 503, { durationMs: 2_000, intervalMs: 500 });
    // eslint-disable-next-line no-console -- a report the test prints on purpose
    console.log(`TLS wrong server name: ${failure}`);
  }, 60_000);
});
