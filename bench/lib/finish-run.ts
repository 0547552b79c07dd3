import type { BenchBroker } from './broker.js';
import { log } from './util.js';

/**
 * The end of every benchmark entry point: delete what the run declared, fail the run if
 * anything is still left on the shared broker (CI would pay for it), close, exit.
 */
export async function finishRun(broker: BenchBroker, stopCleanup: () => void, exitCode: number): Promise<never> {
  await broker.cleanup();
  const left = await broker.leftovers();
  if (left && left.length > 0) {
    log(`LEFT ON THE BROKER: ${left.join(', ')}`);
    exitCode = 1;
  }
  await broker.close();
  stopCleanup();
  process.exit(exitCode);
}
