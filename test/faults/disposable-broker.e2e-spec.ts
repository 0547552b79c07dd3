import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import amqp, { type ChannelModel } from 'amqplib';
import { canStartDisposableBroker, DisposableBroker, disposableBrokerUnavailableReason, isPortOpen } from '../support/disposable-broker.js';

const run = promisify(execFile);
const SHARED_PORT = 5672;
const SHARED_URL = 'amqp://guest:guest@127.0.0.1:5672';
const TEST_TIMEOUT_MS = 120_000;

const reason = disposableBrokerUnavailableReason();
const describeWithBroker = canStartDisposableBroker() ? describe : describe.skip;
if (reason) {
  // eslint-disable-next-line no-console
  console.warn(`skipping DisposableBroker e2e: ${reason}`);
}

/** Polls until `probe` is truthy or the deadline passes; the error names what did not happen. */
async function eventually(what: string, probe: () => Promise<boolean> | boolean, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      if (await probe()) {
        return;
      }
    } catch (error) {
      lastError = error;
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${lastError ? `; last error: ${String(lastError)}` : ''}`);
}

/** Resolves with the event's argument, or rejects after the deadline naming the event. */
function nextEvent<T>(emitter: NodeJS.EventEmitter, event: string, what: string, timeoutMs = 30_000): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      emitter.removeListener(event, onEvent);
      reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`));
    }, timeoutMs);
    const onEvent = (value: T) => {
      clearTimeout(timer);
      resolve(value);
    };
    emitter.once(event, onEvent);
  });
}

/** Processes whose command line mentions `pattern` (pgrep exits 1 when there is none). */
async function processesMatching(pattern: string): Promise<string[]> {
  try {
    const { stdout } = await run('pgrep', ['-fa', '--', pattern], { timeout: 10_000 });
    return stdout
      .split('\n')
      .map((line) => line.trim())
      .filter((line) => line && !line.includes('pgrep'));
  } catch (error) {
    if ((error as { code?: number }).code === 1) {
      return [];
    }
    throw error;
  }
}

describeWithBroker('DisposableBroker (a RabbitMQ node of its own, never the shared one)', () => {
  const queue = 'disposable.durable';
  let broker: DisposableBroker | undefined;
  let startMs = 0;

  beforeAll(async () => {
    const started = Date.now();
    broker = await DisposableBroker.start({ name: 'e2e', startTimeoutMs: 90_000 });
    startMs = Date.now() - started;
    // eslint-disable-next-line no-console
    console.info(`disposable node ${broker.nodeName} up in ${startMs} ms at ${broker.url} (dir ${broker.dataDir})`);
  }, TEST_TIMEOUT_MS);

  afterAll(async () => {
    await broker?.remove();
  }, TEST_TIMEOUT_MS);

  it('runs a separate node with its own name, ports and data dir', async () => {
    const b = broker!;
    expect(b.nodeName).toMatch(/^warren-test-e2e-[0-9a-f]{8}@localhost$/);
    expect(b.port).not.toBe(SHARED_PORT);
    expect(b.url).toBe(`amqp://guest:guest@127.0.0.1:${b.port}`);
    expect(existsSync(b.dataDir)).toBe(true);
    expect(b.pid).toBeGreaterThan(0);
    expect(await isPortOpen(b.port)).toBe(true);
    expect(await processesMatching(b.nodeName)).not.toHaveLength(0);
  });

  it(
    'keeps a persistent message in a durable queue across stop() and startAgain()',
    async () => {
      const b = broker!;
      const connection = await amqp.connect(b.url);
      try {
        const channel = await connection.createConfirmChannel();
        await channel.assertQueue(queue, { durable: true });
        channel.sendToQueue(queue, Buffer.from('survives a restart'), { persistent: true, messageId: 'm-1' });
        await channel.waitForConfirms();
      } finally {
        await connection.close();
      }
      await eventually('the message to be counted in the queue', async () => (await b.queueDepth(queue)).messages === 1);

      const stopped = Date.now();
      await b.stop();
      expect(await isPortOpen(b.port)).toBe(false);
      expect(b.isRunning()).toBe(false);
      const restarted = Date.now();
      await b.startAgain();
      // eslint-disable-next-line no-console
      console.info(`stop ${restarted - stopped} ms, startAgain ${Date.now() - restarted} ms`);

      expect(await b.queueDepth(queue)).toEqual({ messages: 1, ready: 1, unacked: 0 });
      const again = await amqp.connect(b.url);
      try {
        const channel = await again.createChannel();
        const message = await channel.get(queue, { noAck: false });
        expect(message && message.content.toString()).toBe('survives a restart');
        expect(message && message.properties.messageId).toBe('m-1');
        channel.nack(message as amqp.GetMessage, false, true); // back on the queue for the kill test
        await channel.close();
      } finally {
        await again.close();
      }
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'blockPublishers() makes a publishing connection blocked; listConnections works meanwhile; unblock() lifts it',
    async () => {
      const b = broker!;
      await b.blockPublishers();
      expect(await b.hasMemoryAlarm()).toBe(true);

      let connection: ChannelModel | undefined;
      try {
        connection = await amqp.connect(b.url, { clientProperties: { connection_name: 'blocked-publisher' } });
        const blocked = nextEvent<string>(connection, 'blocked', "the connection's 'blocked' event after a publish under the memory alarm");
        const channel = await connection.createChannel();
        channel.sendToQueue(queue, Buffer.from('held back'), { persistent: true });
        const why = await blocked;
        expect(why).toMatch(/memory/i);

        const connections = await b.listConnections();
        const mine = connections.find((c) => c.connectionName === 'blocked-publisher');
        expect(mine).toBeDefined();
        expect(mine!.user).toBe('guest');
        expect(mine!.clientProperties.product).toBe('amqplib');
        expect(mine!.state).toBe('blocked');

        const unblocked = nextEvent<void>(connection, 'unblocked', "the connection's 'unblocked' event after unblock()");
        await b.unblock();
        await unblocked;
        expect(await b.hasMemoryAlarm()).toBe(false);
        await eventually('the held-back publish to reach the queue', async () => (await b.queueDepth(queue)).messages === 2);
      } finally {
        await connection?.close().catch(() => undefined);
      }
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'closeAllConnections() closes client connections with the reason',
    async () => {
      const b = broker!;
      const connection = await amqp.connect(b.url, { clientProperties: { connection_name: 'to-be-closed' } });
      const closed = nextEvent<Error | undefined>(connection, 'close', "the client's 'close' event");
      connection.on('error', () => undefined);
      await eventually('the connection to be listed', async () => (await b.listConnections()).some((c) => c.connectionName === 'to-be-closed'));
      await b.closeAllConnections('closed by the DisposableBroker e2e');
      const error = await closed;
      expect(String(error)).toMatch(/closed by the DisposableBroker e2e/);
      expect(await b.listConnections()).toEqual([]);
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'freeze() stops the VM (SIGSTOP): no confirm comes while frozen; thaw() (SIGCONT) lets it through',
    async () => {
      const b = broker!;
      const pid = b.pid!;
      const connection = await amqp.connect(b.url, { clientProperties: { connection_name: 'freeze-check' } });
      connection.on('error', () => undefined);
      try {
        const channel = await connection.createConfirmChannel();
        const { queue: target } = await channel.assertQueue('', { exclusive: true });
        await b.freeze();
        expect(b.isFrozen).toBe(true);
        expect(readFileSync(`/proc/${pid}/stat`, 'utf8')).toMatch(/\) T /); // state T: stopped by a signal
        let confirmed = false;
        const confirm = new Promise<void>((resolve, reject) => {
          channel.sendToQueue(target, Buffer.from('while frozen'), {}, (error: Error | null) => (error ? reject(error) : resolve()));
        }).then(() => (confirmed = true));
        // Absence can only be shown over a while: a running node confirms in milliseconds.
        await new Promise((resolve) => setTimeout(resolve, 1_500));
        expect(confirmed).toBe(false);
        await b.thaw();
        expect(b.isFrozen).toBe(false);
        await eventually('the confirm after thaw()', () => confirmed, 15_000);
        await confirm;
      } finally {
        await b.thaw();
        await connection.close().catch(() => undefined);
      }
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'kill() SIGKILLs the node: port closed, VM gone; persistent messages survive into startAgain()',
    async () => {
      const b = broker!;
      const pid = b.pid!;
      await b.kill();
      expect(await isPortOpen(b.port)).toBe(false);
      expect(b.pid).toBeUndefined();
      expect(existsSync(`/proc/${pid}`)).toBe(false);
      expect(await processesMatching(b.nodeName)).toEqual([]);

      await b.startAgain();
      expect((await b.queueDepth(queue)).messages).toBe(2);
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'remove() leaves no process and no data dir, even of a frozen node, and is safe to call twice',
    async () => {
      const b = broker!;
      await b.freeze(); // remove() must thaw it first, or rabbitmqctl stop would wait for nothing
      await b.remove();
      await b.remove();
      expect(await processesMatching(b.nodeName)).toEqual([]);
      expect(existsSync(b.dataDir)).toBe(false);
      expect(await isPortOpen(b.port)).toBe(false);
      await expect(b.startAgain()).rejects.toThrow(/was removed/);
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'left the shared broker at 127.0.0.1:5672 up and usable',
    async () => {
      expect(await isPortOpen(SHARED_PORT)).toBe(true);
      const connection = await amqp.connect(SHARED_URL, { clientProperties: { connection_name: 'disposable-e2e-shared-check' } });
      try {
        const channel = await connection.createConfirmChannel();
        const { queue: probe } = await channel.assertQueue('', { exclusive: true, autoDelete: true });
        channel.sendToQueue(probe, Buffer.from('ping'));
        await channel.waitForConfirms();
        await eventually('the ping on the shared broker', async () => (await channel.checkQueue(probe)).messageCount === 1, 10_000);
      } finally {
        await connection.close();
      }
    },
    TEST_TIMEOUT_MS,
  );
});
