/** Defaults and shapes shared by the disposable-node helpers (see ../disposable-broker.ts for the overview). */

/** Default deadlines (ms). A node boots in ~5-8 s here; CI machines may be slower. */
export const DEFAULT_START_TIMEOUT_MS = 60_000;
export const DEFAULT_STOP_TIMEOUT_MS = 60_000;
export const DEFAULT_KILL_TIMEOUT_MS = 30_000;
export const DEFAULT_CTL_TIMEOUT_MS = 30_000;

/** The watermark `blockPublishers()` sets (raises the memory alarm at once) and the one `unblock()` restores. */
export const BLOCKING_MEMORY_WATERMARK = '0.0000001';
export const NORMAL_MEMORY_WATERMARK = '0.4';

export interface StartOptions {
  /** A label put into the node name: `warren-test-<label>-<random>@localhost`. */
  name?: string;
  /** Deadline for the node to boot and answer on its AMQP port (default 60 s). */
  startTimeoutMs?: number;
  /** Extra rabbitmq.conf lines (e.g. a manifest's additionalConfig), written to conf.d before the first boot. */
  config?: string;
}

export interface RabbitmqctlOptions {
  /** Environment for the CLI (merged over a cleaned copy of process.env). Must carry the node's HOME (cookie). */
  env?: NodeJS.ProcessEnv;
  /** Kill the CLI after this long (default 30 s). */
  timeoutMs?: number;
  /** Resolve with the exit code instead of throwing when the CLI exits non-zero. */
  allowFailure?: boolean;
  /** Which CLI script (default rabbitmqctl). */
  tool?: 'rabbitmqctl' | 'rabbitmq-queues' | 'rabbitmq-diagnostics';
}

export interface CtlResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface ConnectionInfo {
  name: string;
  user: string;
  /** e.g. running, blocking, blocked, flow */
  state: string;
  /** client_properties as a plain object (rabbitmqctl's [key, type, value] triples decoded). */
  clientProperties: Record<string, unknown>;
  /** `clientProperties.connection_name`, when the client set one. */
  connectionName?: string;
}

export interface QueueDepth {
  /** ready + unacknowledged */
  messages: number;
  ready: number;
  unacked: number;
}
