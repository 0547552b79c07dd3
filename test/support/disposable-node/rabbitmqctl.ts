/** The CLI of a disposable node: a cleaned environment, a deadline, and a refusal to target the shared node. */

import { execFile } from 'node:child_process';
import { delimiter, join } from 'node:path';

import { type CtlResult, DEFAULT_CTL_TIMEOUT_MS, type RabbitmqctlOptions } from './broker-defaults.js';
import { tail } from './poll.js';
import { disposableBrokerUnavailableReason, locateTools } from './rabbitmq-tools.js';

/** Env vars that must not leak from the caller into a disposable node or its CLI. */
const STRIPPED_ENV =
  /^(RABBITMQ_|NODENAME$|NODE_PORT$|NODE_IP_ADDRESS$|CONFIG_FILE$|MNESIA_BASE$|LOG_BASE$|ERL_FLAGS$|ERL_AFLAGS$|ERL_ZFLAGS$|ERL_EPMD_PORT$|ERL_EPMD_ADDRESS$|ERL_LIBS$)/;

/** A copy of process.env without anything that could redirect RabbitMQ to another node's files. */
export function cleanEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (!STRIPPED_ENV.test(key)) {
      env[key] = value;
    }
  }
  env.PATH = [process.env.PATH ?? '', '/usr/local/bin', '/usr/bin', '/bin'].filter(Boolean).join(delimiter);
  env.LANG = env.LANG || 'C.UTF-8';
  return env;
}

function targetNode(args: string[]): string | undefined {
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if ((arg === '-n' || arg === '--node') && i + 1 < args.length) {
      return args[i + 1];
    }
    if (arg.startsWith('--node=')) {
      return arg.slice('--node='.length);
    }
  }
  return undefined;
}

/**
 * Runs the real rabbitmqctl (or rabbitmq-queues / rabbitmq-diagnostics) with a deadline.
 * `args` must name the target with `-n <node>` and the node must be a `warren-*` node: the CLI's
 * default target would be the shared rabbit@localhost, which this helper never talks to.
 * Throws (with the command, exit code and output) on a non-zero exit unless `allowFailure`.
 */
export async function rabbitmqctl(args: string[], opts: RabbitmqctlOptions = {}): Promise<CtlResult> {
  const node = targetNode(args);
  if (!node) {
    throw new Error(`rabbitmqctl(${JSON.stringify(args)}): pass -n <node>; the default node is the shared broker`);
  }
  if (!/^warren-[^@]*@/.test(node)) {
    throw new Error(`rabbitmqctl: refusing to target ${node}; this helper only talks to disposable warren-* nodes`);
  }
  const tools = locateTools();
  if (!tools) {
    throw new Error(`rabbitmqctl: ${disposableBrokerUnavailableReason()}`);
  }
  const tool = join(tools.binDir, opts.tool ?? 'rabbitmqctl');
  const timeoutMs = opts.timeoutMs ?? DEFAULT_CTL_TIMEOUT_MS;
  const env = { ...cleanEnv(), ...opts.env };
  return await new Promise<CtlResult>((resolve, reject) => {
    execFile(
      tool,
      args,
      { env, timeout: timeoutMs, killSignal: 'SIGKILL', maxBuffer: 64 * 1024 * 1024, encoding: 'utf8' },
      (error, stdout, stderr) => {
        const failure = error as { killed?: boolean; code?: unknown; message: string } | null;
        if (failure && failure.killed) {
          reject(new Error(`${opts.tool ?? 'rabbitmqctl'} ${args.join(' ')} did not finish within ${timeoutMs} ms (killed)`));
          return;
        }
        if (failure && typeof failure.code !== 'number') {
          reject(new Error(`could not run ${tool}: ${failure.message}`));
          return;
        }
        const code = failure ? Number(failure.code) : 0;
        if (code !== 0 && !opts.allowFailure) {
          reject(
            new Error(`${opts.tool ?? 'rabbitmqctl'} ${args.join(' ')} exited with code ${code}: ` + `${tail(`${stderr}\n${stdout}`.trim(), 1500)}`),
          );
          return;
        }
        resolve({ code, stdout, stderr });
      },
    );
  });
}

/** rabbitmqctl's JSON renders AMQP tables as [key, type, value] triples; make them an object. */
export function decodeTable(triples: unknown): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (!Array.isArray(triples)) {
    return out;
  }
  for (const entry of triples) {
    if (Array.isArray(entry) && entry.length >= 3 && typeof entry[0] === 'string') {
      out[entry[0]] = decodeValue(entry[1], entry[2]);
    }
  }
  return out;
}

function decodeValue(type: unknown, value: unknown): unknown {
  if (type === 'table') {
    return decodeTable(value);
  }
  if (type === 'array' && Array.isArray(value)) {
    return value.map((item) => (Array.isArray(item) && item.length === 2 ? decodeValue(item[0], item[1]) : item));
  }
  return value;
}

export function parseJsonRows<T>(stdout: string, what: string): T[] {
  const text = stdout.trim();
  const start = text.indexOf('[');
  if (start < 0) {
    throw new Error(`${what}: no JSON in rabbitmqctl output: ${tail(text, 500)}`);
  }
  return JSON.parse(text.slice(start)) as T[];
}
