/** OS processes of a disposable node: alive, stopped, and which pids belong to it (by its `-warren_node` flag). */

import { existsSync, readdirSync, readFileSync } from 'node:fs';

/** Is the process alive (a zombie counts as dead)? */
export function isAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    return state !== 'Z' && state !== 'X';
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      return false;
    }
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  }
}

/** SIGKILLs each pid; one already gone is skipped (it may have died between listing and killing). */
export function killAll(pids: readonly number[]): void {
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
}

/** The process's state letter from /proc (R, S, T = stopped, Z, ...), or undefined when unreadable. */
export function processState(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
  } catch {
    return undefined;
  }
}

/** The process's command line, or undefined (gone, or no /proc on this OS). */
function commandLine(pid: number): string[] | undefined {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
  } catch {
    return undefined;
  }
}

/** Is `pid` a process of the node `nodeName` (its argv has `-warren_node <nodeName>`)? */
export function isProcessOfNode(pid: number, nodeName: string): boolean {
  const argv = commandLine(pid);
  if (!argv) {
    return !existsSync('/proc/self') && isAlive(pid); // no /proc: cannot check, trust the pid file
  }
  const i = argv.indexOf('-warren_node');
  return i >= 0 && argv[i + 1] === nodeName;
}

/**
 * Every live process whose argv carries `-warren_node <nodeName>` (the rabbitmq-server script and
 * the VM), found through /proc. Used to clean up a node whose pid file was never written.
 */
export function pidsOfNode(nodeName: string): number[] {
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return [];
  }
  return entries
    .filter((entry) => /^\d+$/.test(entry))
    .map(Number)
    .filter((pid) => pid !== process.pid && isAlive(pid) && isProcessOfNode(pid, nodeName));
}
