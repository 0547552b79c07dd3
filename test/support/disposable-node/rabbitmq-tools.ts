/** Finding the real RabbitMQ scripts (not the /usr/sbin su wrapper) and whether a disposable node can start here. */

import { accessSync, constants, readdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';

interface Tools {
  binDir: string;
}

let toolsCache: Tools | null | undefined;

/** The directory holding the real rabbitmq-server / rabbitmqctl scripts (not the /usr/sbin su wrapper). */
export function locateTools(): Tools | null {
  if (toolsCache !== undefined) {
    return toolsCache;
  }
  const candidates: string[] = [];
  if (process.env.WARREN_RABBITMQ_BIN_DIR) {
    candidates.push(process.env.WARREN_RABBITMQ_BIN_DIR);
  }
  candidates.push('/usr/lib/rabbitmq/bin');
  try {
    for (const entry of readdirSync('/usr/lib/rabbitmq/lib').sort().reverse()) {
      if (entry.startsWith('rabbitmq_server-')) {
        candidates.push(join('/usr/lib/rabbitmq/lib', entry, 'sbin'));
      }
    }
  } catch {
    // not a Debian-style install
  }
  candidates.push('/usr/local/opt/rabbitmq/sbin', '/opt/homebrew/opt/rabbitmq/sbin');
  toolsCache = null;
  for (const dir of candidates) {
    if (isExecutable(join(dir, 'rabbitmq-server')) && isExecutable(join(dir, 'rabbitmqctl'))) {
      toolsCache = { binDir: dir };
      break;
    }
  }
  return toolsCache;
}

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

function onPath(command: string): boolean {
  return (process.env.PATH ?? '').split(delimiter).some((dir) => dir && isExecutable(join(dir, command)));
}

/**
 * Why a disposable broker cannot be started here, or null when it can. Tests use it to skip with
 * a clear message (`describe.skip` + the reason) instead of failing on machines without RabbitMQ.
 */
export function disposableBrokerUnavailableReason(): string | null {
  if (process.platform === 'win32') {
    return 'disposable RabbitMQ nodes need a Unix rabbitmq-server install (this is Windows)';
  }
  const tools = locateTools();
  if (!tools) {
    return (
      'rabbitmq-server/rabbitmqctl scripts not found in /usr/lib/rabbitmq/bin or ' +
      '/usr/lib/rabbitmq/lib/rabbitmq_server-*/sbin (install rabbitmq-server, or set WARREN_RABBITMQ_BIN_DIR)'
    );
  }
  if (!onPath('erl')) {
    return `Erlang (erl) is not on PATH, which ${tools.binDir}/rabbitmq-server needs`;
  }
  try {
    accessSync(tmpdir(), constants.W_OK | constants.X_OK);
  } catch {
    return `${tmpdir()} is not writable (each disposable node needs its own data dir there)`;
  }
  return null;
}

/**
 * True when a disposable node can be started: the real RabbitMQ scripts and Erlang are installed
 * and the temp dir is writable. Any user works (root included): the node runs as the caller with
 * every file in its own dir, so neither root nor the `rabbitmq` user is required.
 */
export function canStartDisposableBroker(): boolean {
  return disposableBrokerUnavailableReason() === null;
}
