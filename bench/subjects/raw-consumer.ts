/**
 * Raw amqplib consumer: prefetch BENCH_PREFETCH (100), manual ack of every delivery at once.
 * The ceiling a Node transport can reach on this broker. Reports `ready`, `done` over IPC.
 * env: BENCH_QUEUE, BENCH_PREFETCH, BENCH_EXPECT
 */
import amqp from 'amqplib';
import { AMQP_URL } from '../lib/util.js';
import { dieWithHarness, DrainCount, fail, need, optionalInt, tell } from './ipc.js';

dieWithHarness();

async function main(): Promise<void> {
  const queue = need('BENCH_QUEUE');
  const prefetch = optionalInt('BENCH_PREFETCH') ?? 100;
  const expect = optionalInt('BENCH_EXPECT') ?? Number.POSITIVE_INFINITY;
  const connection = await amqp.connect(AMQP_URL, { clientProperties: { connection_name: `${queue}-raw-consumer` } });
  const channel = await connection.createChannel();
  await channel.prefetch(prefetch);
  const count = new DrainCount(expect);
  count.ready();
  await channel.consume(
    queue,
    (message) => {
      if (!message) {
        return;
      }
      count.receivedOne();
      channel.ack(message);
      if (count.handledOne()) {
        setImmediate(() => {
          const timer = setTimeout(() => process.exit(0), 10_000);
          void channel
            .close()
            .then(() => connection.close())
            .catch(() => undefined)
            .finally(() => {
              clearTimeout(timer);
              process.exit(0);
            });
        });
      }
    },
    { noAck: false },
  );
  tell({ type: 'ready', pid: process.pid });
  setInterval(() => tell({ type: 'status', handled: count.handled }), 1000).unref();
}

main().catch(fail);
