import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from '@jest/globals';
import { BrokerProbe, SHARED_AMQP_URL, uniqueNames } from './support/broker.js';
import { removeTopology, serviceQueues } from './support/demo-app.js';
import { ServiceProcess } from './support/service-process.js';
import { TestDatabase } from './support/test-database.js';
import { waitFor } from './support/wait-for.js';
import { freePort } from './support/free-port.js';

describe('structured logs', () => {
  const names = uniqueNames('logs');
  let service: ServiceProcess | undefined;

  afterAll(async () => {
    await service?.stop();
    await removeTopology(names.exchange, await serviceQueues(names));
  });

  it('are one JSON object per line, and a handler log line carries the HTTP request id as correlationId', async () => {
    const port = await freePort();
    service = await ServiceProcess.start({ AMQP_URL: SHARED_AMQP_URL, PORT: port, SERVICE_NAME: names.serviceName, EVENTS_EXCHANGE: names.exchange });
    const response = await fetch(`http://127.0.0.1:${port}/users`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-request-id': 'req-log-42' },
      body: JSON.stringify({ email: 'log@example.com', name: 'Log' }),
    });
    expect(response.status).toBe(202);
    const line = await waitFor('the mail log line', () => service!.linesWith('mail to log@example.com')[0]);
    expect(JSON.parse(line)).toMatchObject({
      level: 'log',
      context: 'LoggingMailer',
      message: 'mail to log@example.com: Welcome, Log',
      correlationId: 'req-log-42',
      timestamp: expect.any(Number),
    });
    const lines = service.logs.split('\n').filter((l) => l.trim() !== '');
    for (const l of lines) {
      expect(() => JSON.parse(l)).not.toThrow();
    }
  });

  it('are text lines when stdout is a terminal and LOG_FORMAT is not set', async () => {
    const port = await freePort();
    const tty = uniqueNames('logs-tty');
    const database = await TestDatabase.create(); // the service keeps its orders in PostgreSQL: a database of its own
    const main = fileURLToPath(new URL('../dist/main.js', import.meta.url));
    // util-linux `script` runs the service on a pseudo-terminal, as a developer's shell would.
    const child = spawn('script', ['-qfec', `${JSON.stringify(process.execPath)} ${JSON.stringify(main)}`, '/dev/null'], {
      env: {
        ...process.env,
        LOG_FORMAT: '',
        NO_COLOR: '1',
        AMQP_URL: SHARED_AMQP_URL,
        PORT: port,
        SERVICE_NAME: tty.serviceName,
        EVENTS_EXCHANGE: tty.exchange,
        DATABASE_URL: database.url,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    try {
      await waitFor('the service to say it listens', () => output.includes('warren listening on port'), { timeoutMs: 30_000 });
      const line = output.split(/\r?\n/).find((l) => l.includes('warren listening on port'))!;
      expect(line).toMatch(/^\[Nest\] \d+ {2}- .* LOG \[Bootstrap\] warren listening on port/);
      expect(output).not.toContain('{"level"');
    } finally {
      process.kill(-child.pid!, 'SIGKILL'); // script and the service it runs
      await removeTopology(tty.exchange, await serviceQueues(tty));
      await database.drop();
    }
  }, 60_000);
});

describe('LOG_LEVEL', () => {
  const started: { names: ReturnType<typeof uniqueNames>; service: ServiceProcess }[] = [];

  afterAll(async () => {
    for (const { names, service } of started) {
      await service.stop();
      await removeTopology(names.exchange, await serviceQueues(names));
    }
  });

  /** A service at this LOG_LEVEL ('' = unset) after it parked one undecodable event: the levels of its lines. */
  async function levelsWritten(level: string): Promise<Set<string>> {
    const names = uniqueNames('log-level');
    const service = await ServiceProcess.start({
      AMQP_URL: SHARED_AMQP_URL,
      PORT: await freePort(),
      SERVICE_NAME: names.serviceName,
      EVENTS_EXCHANGE: names.exchange,
      LOG_LEVEL: level,
    });
    started.push({ names, service });
    const broker = await BrokerProbe.open();
    try {
      broker.publish(names.exchange, 'user.registered', '{"userId":', { contentType: 'application/json' });
      // Parking is a warning at every level; the first delivery also opens the prefetch window (a debug line).
      await waitFor('the dead-letter warning', () => service.linesWith('dead-lettering message').length > 0);
    } finally {
      await broker.close();
    }
    return new Set(
      service.logs
        .split('\n')
        .filter((line) => line.startsWith('{'))
        .map((line) => (JSON.parse(line) as { level: string }).level),
    );
  }

  it("writes no debug lines by default (Nest's default wrote every level), debug lines when asked, and only warnings and errors at 'warn'", async () => {
    // Three services side by side (each with its own names): a third of the wait.
    const [byDefault, debug, quiet] = await Promise.all([levelsWritten(''), levelsWritten('debug'), levelsWritten('warn')]);
    expect(byDefault.has('log')).toBe(true);
    expect(byDefault.has('debug')).toBe(false);
    expect(byDefault.has('verbose')).toBe(false);
    expect(debug.has('debug')).toBe(true);
    expect([...quiet].filter((level) => level !== 'warn' && level !== 'error')).toEqual([]);
  }, 90_000);
});
