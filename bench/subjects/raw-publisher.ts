/**
 * Raw amqplib confirmed publish ceiling: one confirm channel, at most BENCH_WINDOW (500)
 * unconfirmed, persistent BENCH_BYTES-byte messages to BENCH_QUEUE for BENCH_SECONDS.
 * Reports `done` with the count of confirmed messages and the elapsed time.
 */
import amqp from 'amqplib';
import { once } from 'node:events';
import { AMQP_URL } from '../lib/util.js';
import { dieWithHarness, fail, need, optionalInt, tell } from './ipc.js';

dieWithHarness();

async function main(): Promise<void> {
  const queue = need('BENCH_QUEUE');
  const window = optionalInt('BENCH_WINDOW') ?? 500;
  const bytes = optionalInt('BENCH_BYTES') ?? 1024;
  const seconds = optionalInt('BENCH_SECONDS') ?? 10;
  const connection = await amqp.connect(AMQP_URL, { clientProperties: { connection_name: `${queue}-raw-publisher` } });
  const channel = await connection.createConfirmChannel();
  const body = Buffer.alloc(bytes, 'x');
  let outstanding = 0;
  let confirmed = 0;
  let failure: unknown;
  let wake: (() => void) | undefined;
  tell({ type: 'ready', pid: process.pid });
  const started = performance.now();
  const stopAt = started + seconds * 1000;
  while (performance.now() < stopAt && failure === undefined) {
    if (outstanding >= window) {
      await new Promise<void>((resolve) => (wake = resolve));
      continue;
    }
    outstanding++;
    const ok = channel.publish('', queue, body, { persistent: true, contentType: 'application/octet-stream' }, (error) => {
      outstanding--;
      if (error) {
        failure = error;
      } else {
        confirmed++;
      }
      const w = wake;
      wake = undefined;
      w?.();
    });
    if (!ok) {
      await once(channel, 'drain');
    }
  }
  await channel.waitForConfirms();
  const elapsedMs = performance.now() - started;
  tell({ type: 'done', confirmed, elapsedMs, failure: failure === undefined ? undefined : String(failure) });
  await channel.close();
  await connection.close();
  process.exit(0);
}

main().catch(fail);
