import { BenchBroker } from './broker.js';
import { onInterrupt } from './child.js';
import { log, randomSuffix } from './util.js';

/** A run's broker, with its queues and exchanges named `bench-<run id>-…` and deleted on Ctrl-C. */
export interface BenchRun {
  broker: BenchBroker;
  stopCleanup: () => void;
}

export async function openRun(): Promise<BenchRun> {
  const broker = await BenchBroker.open(`bench-${randomSuffix()}`);
  return { broker, stopCleanup: onInterrupt(() => broker.cleanup()) };
}

/**
 * The end of every run: delete what it declared, close. Returns false when anything is still
 * left on the shared broker (CI would pay for it), which fails the run.
 */
export async function closeRun({ broker, stopCleanup }: BenchRun): Promise<boolean> {
  await broker.cleanup();
  const left = await broker.leftovers();
  if (left && left.length > 0) {
    log(`LEFT ON THE BROKER: ${left.join(', ')}`);
  }
  await broker.close();
  stopCleanup();
  return !left || left.length === 0;
}

/**
 * Entry point of one scenario run on its own (`node bench/.build/bench/<name>.js`): `scenario`
 * runs, writes its report and says whether it failed; the process exits 1 if it failed, threw,
 * or left something on the broker.
 */
export async function runStandalone(name: string, scenario: (broker: BenchBroker) => Promise<boolean>): Promise<never> {
  const run = await openRun();
  let failed: boolean;
  try {
    failed = await scenario(run.broker);
  } catch (error) {
    log(`${name} benchmark failed: ${String(error)}`);
    failed = true;
  }
  const clean = await closeRun(run);
  process.exit(failed || !clean ? 1 : 0);
}
