/**
 * Leftovers of a benchmark run that was SIGKILLed (its own try/finally and Ctrl-C handler
 * cannot run then). `node bench/.build/bench/sweep.js` lists queues/exchanges named like a
 * benchmark run (`bench-<6 hex>-…`); `node bench/.build/bench/sweep.js bench-1a2b3c` deletes
 * those of that run. It never deletes a queue that still has consumers.
 */
import { BenchBroker } from './lib/broker.js';
import { log } from './lib/util.js';

const prefix = process.argv[2];
if (prefix !== undefined && !/^bench-[0-9a-f]{6}$/.test(prefix)) {
  log(`usage: sweep.js [bench-<6 hex>]; got '${prefix}'`);
  process.exit(2);
}
const broker = await BenchBroker.open(prefix ?? 'bench-sweep');
try {
  if (prefix === undefined) {
    const left = await broker.leftoversMatching(/^bench-[0-9a-f]{6}-/);
    log(left === undefined ? 'rabbitmqctl unavailable' : left.length === 0 ? 'no benchmark leftovers' : `leftovers:\n  ${left.join('\n  ')}`);
  } else {
    const busy = await broker.busyQueues();
    if (busy.length > 0) {
      log(`not sweeping: ${busy.join(', ')} still consumed (a run in progress?)`);
      process.exitCode = 1;
    } else {
      const removed = await broker.cleanup();
      log(`deleted ${removed.queues.length} queue(s), ${removed.exchanges.length} exchange(s)`);
    }
  }
} finally {
  await broker.close();
}
