/**
 * TLS for tests: a throw-away CA and a server certificate for `localhost` made with the openssl
 * CLI in a temp dir, and a DisposableBroker with an amqps listener using them.
 *
 * DisposableBroker writes its own rabbitmq.conf at start and has no hook for extra settings, but
 * it points RABBITMQ_CONFIG_FILES at `<dataDir>/conf.d/*.conf`, which RabbitMQ reads after the
 * main file. So the node is started once plainly, stopped, given `conf.d/10-tls.conf`, and
 * started again (same name, ports and data) — disposable-broker.ts stays untouched.
 */
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { DisposableBroker, isPortOpen } from './disposable-broker.js';
import { freePort } from './free-port.js';
import { waitFor } from './wait-for.js';

const run = promisify(execFile);

export interface TestCertificates {
  dir: string;
  /** the CA certificate clients must trust (PEM) */
  caFile: string;
  /** server certificate signed by the CA: CN=localhost, SAN DNS:localhost */
  certFile: string;
  keyFile: string;
  remove(): Promise<void>;
}

async function openssl(args: string[], cwd: string): Promise<void> {
  try {
    await run('openssl', args, { cwd, timeout: 30_000 });
  } catch (error) {
    const failure = error as { stderr?: string; message: string };
    throw new Error(`openssl ${args.join(' ')} failed: ${failure.stderr?.trim() || failure.message}`, { cause: error });
  }
}

/** A self-signed CA and a `localhost` server certificate it signed, valid for two days. */
export async function makeCertificates(): Promise<TestCertificates> {
  const dir = await mkdtemp(join(tmpdir(), 'warren-tls-'));
  try {
    await openssl(
      [
        'req',
        '-x509',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-sha256',
        '-days',
        '2',
        '-keyout',
        'ca.key',
        '-out',
        'ca.pem',
        '-subj',
        '/CN=warren test CA',
        '-addext',
        'basicConstraints=critical,CA:TRUE',
        '-addext',
        'keyUsage=critical,keyCertSign,cRLSign',
      ],
      dir,
    );
    await openssl(['req', '-newkey', 'rsa:2048', '-nodes', '-sha256', '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=localhost'], dir);
    await writeFile(
      join(dir, 'server.ext'),
      [
        'basicConstraints=CA:FALSE',
        'keyUsage=critical,digitalSignature,keyEncipherment',
        'extendedKeyUsage=serverAuth',
        'subjectAltName=DNS:localhost',
        '',
      ].join('\n'),
    );
    await openssl(
      [
        'x509',
        '-req',
        '-sha256',
        '-days',
        '2',
        '-in',
        'server.csr',
        '-CA',
        'ca.pem',
        '-CAkey',
        'ca.key',
        '-CAcreateserial',
        '-out',
        'server.pem',
        '-extfile',
        'server.ext',
      ],
      dir,
    );
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
  return {
    dir,
    caFile: join(dir, 'ca.pem'),
    certFile: join(dir, 'server.pem'),
    keyFile: join(dir, 'server.key'),
    remove: () => rm(dir, { recursive: true, force: true }),
  };
}

export interface TlsBroker {
  broker: DisposableBroker;
  /** the amqps listener on 127.0.0.1 */
  tlsPort: number;
}

/**
 * A disposable node with an amqps listener on 127.0.0.1:<tlsPort> next to its plain one. The
 * server does not ask for client certificates (`verify_none`): these tests are about the
 * client verifying the server.
 */
export async function startTlsBroker(certs: TestCertificates, timeoutMs = 120_000): Promise<TlsBroker> {
  const deadline = Date.now() + timeoutMs;
  const broker = await DisposableBroker.start({ name: 'tls', startTimeoutMs: timeoutMs });
  try {
    const tlsPort = Number(await freePort());
    await broker.stop(Math.max(10_000, deadline - Date.now()));
    await mkdir(join(broker.dataDir, 'conf.d'), { recursive: true });
    await writeFile(
      join(broker.dataDir, 'conf.d', '10-tls.conf'),
      [
        '# amqps listener (test/support/tls-broker.ts)',
        `listeners.ssl.default = 127.0.0.1:${tlsPort}`,
        `ssl_options.cacertfile = ${certs.caFile}`,
        `ssl_options.certfile = ${certs.certFile}`,
        `ssl_options.keyfile = ${certs.keyFile}`,
        'ssl_options.verify = verify_none',
        'ssl_options.fail_if_no_peer_cert = false',
        '',
      ].join('\n'),
    );
    await broker.startAgain(Math.max(10_000, deadline - Date.now()));
    await waitFor(`the amqps listener on 127.0.0.1:${tlsPort}`, () => isPortOpen(tlsPort), {
      timeoutMs: Math.max(1_000, deadline - Date.now()),
      intervalMs: 200,
    });
    return { broker, tlsPort };
  } catch (error) {
    await broker.remove().catch(() => undefined);
    throw error;
  }
}
