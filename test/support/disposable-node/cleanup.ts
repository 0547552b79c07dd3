/**
 * Safety net: brokers not remove()d when the test process exits normally are killed (SIGKILL)
 * and their data dirs deleted. (A SIGKILLed test process cannot clean up: look for leftovers
 * with `pgrep -fa -- '-warren_node warren-test-'`.)
 */

/** What the exit hook needs from a live broker (an interface, so this file does not import the class). */
export interface KillableOnExit {
  killSyncOnExit(): void;
}

/** Brokers started and not yet removed. */
export const live = new Set<KillableOnExit>();
let exitHookInstalled = false;

export function installExitHook(): void {
  if (exitHookInstalled) {
    return;
  }
  exitHookInstalled = true;
  try {
    process.once('exit', () => {
      for (const broker of live) {
        broker.killSyncOnExit();
      }
    });
  } catch {
    // some sandboxes do not allow it; remove() is still the normal path
  }
}
