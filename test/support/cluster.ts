/**
 * The three-node disposable cluster of scripts/cluster.sh (warren-c1/c2/c3@localhost on AMQP
 * 5681-5683, own cookie and data under $TMPDIR/warren-cluster) driven from tests and benches:
 * up, down, CLI calls against one of its nodes, and SIGKILL of one node by the pids the script
 * started (found by the `-warren_node <node>` marker on their command line). Never the shared
 * broker: the script refuses any other node.
 */
import { execFile } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { isPortOpen } from './disposable-broker.js';
import { killAll } from './disposable-node/node-process.js';
import { waitFor } from './wait-for.js';

const run = promisify(execFile);

export const CLUSTER_NODES = [
  { node: 'warren-c1@localhost', port: 5681 },
  { node: 'warren-c2@localhost', port: 5682 },
  { node: 'warren-c3@localhost', port: 5683 },
] as const;

/** scripts/cluster.sh, found from this file upwards (works from test/support and from a compiled copy). */
function clusterScript(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    const candidate = join(dir, 'scripts', 'cluster.sh');
    if (existsSync(candidate)) return candidate;
    dir = dirname(dir);
  }
  throw new Error('scripts/cluster.sh not found above ' + dirname(fileURLToPath(import.meta.url)));
}

async function script(args: string[], timeoutMs: number): Promise<{ stdout: string; stderr: string }> {
  try {
    return await run(clusterScript(), args, { timeout: timeoutMs, killSignal: 'SIGKILL', maxBuffer: 16 * 1024 * 1024 });
  } catch (error) {
    const failure = error as { stdout?: string; stderr?: string; message: string; killed?: boolean };
    const output = `${failure.stderr ?? ''}\n${failure.stdout ?? ''}`.trim().slice(-2000);
    throw new Error(
      `scripts/cluster.sh ${args.join(' ')} ${failure.killed ? `did not finish within ${timeoutMs} ms` : 'failed'}: ${output || failure.message}`,
      { cause: error },
    );
  }
}

/** Starts (or finds running) the cluster; resolves with its AMQP_URL (the three nodes, comma-separated). */
export async function clusterUp(timeoutMs = 180_000): Promise<string> {
  const { stdout } = await script(['up'], timeoutMs);
  const match = /^AMQP_URL=(\S+)$/m.exec(stdout);
  if (!match) {
    throw new Error(`scripts/cluster.sh up printed no AMQP_URL line: ${stdout.slice(-500)}`);
  }
  return match[1];
}

/** Stops the three nodes (SIGKILL after the script's deadline) and deletes their data. */
export async function clusterDown(timeoutMs = 90_000): Promise<void> {
  await script(['down'], timeoutMs);
}

/** `rabbitmqctl` (ctl) or `rabbitmq-queues` (queues) against one node of the cluster. */
export async function clusterCli(tool: 'ctl' | 'queues', args: string[], node: string = CLUSTER_NODES[0].node, timeoutMs = 60_000): Promise<string> {
  const { stdout } = await script([tool, '-n', node, ...args], timeoutMs);
  return stdout;
}

export interface QuorumQueueInfo {
  name: string;
  type: string;
  /** quorum queues: the nodes holding a replica, those online, and the leader */
  members: string[];
  online: string[];
  leader: string;
  /** the queue's process, e.g. `<warren-c1@localhost.1700000000.1234.0>`: its home node for a classic queue */
  pid: string;
}

/** Type, members, online members and leader of the queues, as `node` sees them. */
export async function clusterQueues(node: string, timeoutMs = 20_000): Promise<QuorumQueueInfo[]> {
  const stdout = await clusterCli(
    'ctl',
    ['-q', 'list_queues', 'name', 'type', 'members', 'online', 'leader', 'pid', '--formatter', 'json'],
    node,
    timeoutMs,
  );
  const start = stdout.indexOf('[');
  return start < 0 ? [] : (JSON.parse(stdout.slice(start)) as QuorumQueueInfo[]);
}

/** The cluster node behind an AMQP port (5681-5683). */
export function nodeOfPort(port: number): string {
  const entry = CLUSTER_NODES.find((n) => n.port === port);
  if (!entry) throw new Error(`port ${port} is not a cluster node's`);
  return entry.node;
}

/** Pids whose argv carries `-warren_node <node>` exactly (the rabbitmq-server script and the VM). */
function pidsOfNode(node: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const argv = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0');
      const i = argv.indexOf('-warren_node');
      if (i >= 0 && argv[i + 1] === node) pids.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return pids;
}

/** SIGKILLs one cluster node (its VM and start script, by pid) and waits until its port is closed. */
export async function killClusterNode(node: string, timeoutMs = 30_000): Promise<number[]> {
  const entry = CLUSTER_NODES.find((n) => n.node === node);
  if (!entry) throw new Error(`refusing to kill ${node}: not a node of scripts/cluster.sh`);
  const pids = pidsOfNode(node);
  if (pids.length === 0) throw new Error(`${node} is not running`);
  killAll(pids);
  await waitFor(`${node} (pids ${pids.join(', ')}) to be gone`, async () => pidsOfNode(node).length === 0 && !(await isPortOpen(entry.port)), {
    timeoutMs,
    intervalMs: 100,
  });
  return pids;
}
