import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { deadLetterQueueName } from '../src/rabbitmq/admin.js';
import { BrokerProbe, SHARED_AMQP_URL, uniqueNames } from './support/broker.js';
import { removeTopology } from './support/demo-app.js';
import { waitFor } from './support/wait-for.js';

const DELIVERY_LIMIT = 2;
/** How long one consumer process may take to start and take a message (a Nest app on a loaded 2-core machine). */
const CONSUMER_RUN_MS = 12_000;
/** How long a started consumer with nothing to do is left running before it counts as idle. */
const IDLE_AFTER_READY_MS = 3_000;
const FIXTURE = new URL('./fixtures/crashing-consumer.mjs', import.meta.url);

/** Runs the crashing consumer once; resolves with whether it got the message before it died. */
function runConsumerOnce(env: Record<string, string>, timeoutMs: number): Promise<'crashed-while-handling' | 'idle'> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [FIXTURE.pathname], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    let stderr = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    // Once attached, a queued message arrives at once: a consumer still idle this long after is idle.
    let idle: NodeJS.Timeout | undefined;
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('READY') && idle === undefined) {
        idle = setTimeout(() => child.kill('SIGKILL'), IDLE_AFTER_READY_MS);
      }
    });
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    // 'close', not 'exit': only then has all of the output been read.
    child.on('close', (_code, signal) => {
      clearTimeout(timer);
      clearTimeout(idle);
      if (output.includes('HANDLING') && signal === 'SIGKILL') {
        resolve('crashed-while-handling');
      } else if (output.includes('READY')) {
        resolve('idle');
      } else {
        reject(new Error(`consumer did not start: ${stderr.slice(0, 2000)}`));
      }
    });
  });
}

describe('crash-loop backstop (quorum delivery limit)', () => {
  const names = uniqueNames('crash');
  const queue = `${names.serviceName}.crash`;
  let broker: BrokerProbe;

  beforeAll(async () => {
    broker = await BrokerProbe.open();
  });

  afterAll(async () => {
    await broker?.close();
    await removeTopology(names.exchange, [queue]);
  });

  it('parks a message that kills its consumer process on every delivery, after the delivery limit', async () => {
    const env = {
      AMQP_URL: SHARED_AMQP_URL,
      SERVICE_NAME: names.serviceName,
      EVENTS_EXCHANGE: names.exchange,
      CRASH_QUEUE: queue,
      DELIVERY_LIMIT: String(DELIVERY_LIMIT),
    };
    // First run declares the topology and finds the queue empty: stop it once it is ready.
    // Then publish the poison message and restart the consumer until it stops crashing.
    expect(await runConsumerOnce(env, CONSUMER_RUN_MS)).toBe('idle');
    broker.publish(names.exchange, 'crash.event', JSON.stringify({ boom: true }), { messageId: 'm-crash', persistent: true });
    let crashes = 0;
    for (let run = 0; run < DELIVERY_LIMIT + 3; run++) {
      const result = await runConsumerOnce(env, CONSUMER_RUN_MS);
      if (result === 'idle') {
        break;
      }
      crashes += 1;
    }
    const parked = await waitFor('the crash-looping message in the DLQ', () => broker.take(deadLetterQueueName(queue)));
    expect(parked.properties.messageId).toBe('m-crash');
    const deaths = parked.properties.headers?.['x-death'] as { reason: string; queue: string }[] | undefined;
    expect(deaths?.[0]).toMatchObject({ reason: 'delivery_limit', queue });
    // The broker allowed exactly the configured number of deliveries, then stopped the loop.
    expect(crashes).toBe(DELIVERY_LIMIT + 1);
    expect(await broker.ready(queue)).toBe(0);
  }, 120_000);
});
