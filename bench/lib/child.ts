import { pathToFileURL } from 'node:url';
import { type ChildProcess, spawn } from 'node:child_process';
import { createWriteStream, mkdirSync, readFileSync, type WriteStream } from 'node:fs';
import { resolve } from 'node:path';
import { LOGS_DIR, log, withDeadline } from './util.js';

export interface RssSample {
  /** ms since the process was spawned */
  t: number;
  rssMb: number;
}

export interface ExitInfo {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** ms since spawn */
  atMs: number;
  /** true if the harness sent the signal that ended it */
  killedByHarness: boolean;
}

export interface SubjectMessage {
  type: string;
  [key: string]: unknown;
}

export interface SubjectOptions {
  /** label used in logs and log file names */
  label: string;
  /** compiled script to run with node */
  script: string;
  env?: Record<string, string>;
  /** `--max-old-space-size` in MB */
  maxOldSpaceMb?: number;
  /** RSS sampling period; 0 disables sampling */
  sampleEveryMs?: number;
  /** a compiled module to preload with `--import` (e.g. the poison scenario's delivery counter) */
  preload?: string;
}

const live = new Set<Subject>();
/** USER_HZ: 100 on every Linux this runs on */
const CLOCK_TICKS = 100;

/** CPU time (user + system) a local process has used so far, in seconds; null if it cannot be read. */
export function processCpuSeconds(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // fields after the parenthesised command name; utime and stime are fields 14 and 15
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
  } catch {
    return null;
  }
}

/**
 * One benchmark subject: a plain `node` child process (never through npm, so its pid is the
 * process we measure), its RSS sampled from the outside via /proc/<pid>/status, its stdout and
 * stderr written to bench/.logs/<label>.log, and IPC messages (`ready`, `status`, `done`) from it.
 */
export class Subject {
  readonly samples: RssSample[] = [];
  readonly exited: Promise<ExitInfo>;
  /** true once 'heap out of memory' (V8's fatal OOM message) appeared on stderr */
  heapOutOfMemory = false;
  stderrTail = '';
  /** first 64 KB of stdout + stderr (start-up logs: effective settings) */
  outputHead = '';
  lastStatus?: SubjectMessage;
  exit?: ExitInfo;
  readonly logFile: string;
  private readonly child: ChildProcess;
  private readonly startedAt = performance.now();
  private readonly sampler?: NodeJS.Timeout;
  private readonly received = new Map<string, SubjectMessage>();
  private readonly waiters = new Map<string, ((message: SubjectMessage) => void)[]>();
  private readonly logStream: WriteStream;
  private killedByHarness = false;

  constructor(readonly options: SubjectOptions) {
    mkdirSync(LOGS_DIR, { recursive: true });
    this.logFile = resolve(LOGS_DIR, `${options.label.replace(/[^A-Za-z0-9._-]+/g, '_')}.log`);
    this.logStream = createWriteStream(this.logFile);
    const nodeArgs = [
      ...(options.maxOldSpaceMb ? [`--max-old-space-size=${options.maxOldSpaceMb}`] : []),
      '--enable-source-maps',
      ...(options.preload ? [`--import=${pathToFileURL(options.preload).href}`] : []),
      // BENCH_CPU_PROF=<dir>: every subject writes a V8 CPU profile there (for finding hot paths).
      ...(process.env.BENCH_CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`] : []),
      options.script,
    ];
    this.child = spawn(process.execPath, nodeArgs, {
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      env: { ...process.env, ...options.env },
    });
    live.add(this);
    this.logStream.on('error', () => undefined);
    this.child.on('close', () => this.logStream.end());
    const keepHead = (chunk: Buffer): void => {
      if (this.outputHead.length < 65_536) {
        this.outputHead += chunk.toString('utf8').slice(0, 65_536 - this.outputHead.length);
      }
    };
    this.child.stdout?.on('data', (chunk: Buffer) => {
      this.logStream.write(chunk);
      keepHead(chunk);
    });
    let carry = '';
    this.child.stderr?.on('data', (chunk: Buffer) => {
      this.logStream.write(chunk);
      keepHead(chunk);
      const text = carry + chunk.toString('utf8');
      if (/heap out of memory/i.test(text)) {
        this.heapOutOfMemory = true;
      }
      carry = text.slice(-64);
      this.stderrTail = (this.stderrTail + chunk.toString('utf8')).slice(-8192);
    });
    this.child.on('message', (message: SubjectMessage) => this.onMessage(message));
    this.exited = new Promise<ExitInfo>((resolveExit) => {
      this.child.on('exit', (code, signal) => {
        this.exit = { code, signal, atMs: this.elapsedMs(), killedByHarness: this.killedByHarness };
        this.sample();
        this.stopSampling();
        live.delete(this);
        resolveExit(this.exit);
      });
      this.child.on('error', (error) => {
        this.logStream.write(`spawn error: ${error.message}\n`);
      });
    });
    const every = options.sampleEveryMs ?? 250;
    if (every > 0) {
      this.sampler = setInterval(() => this.sample(), every);
      this.sample();
    }
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  elapsedMs(): number {
    return performance.now() - this.startedAt;
  }

  get peakRssMb(): number {
    return this.samples.reduce((max, s) => Math.max(max, s.rssMb), 0);
  }

  get lastRssMb(): number {
    return this.samples.at(-1)?.rssMb ?? 0;
  }

  /** CPU time (user + system) the process has used so far, in seconds; null once it is gone. */
  cpuSeconds(): number | null {
    const pid = this.child.pid;
    return pid === undefined || this.exit ? null : processCpuSeconds(pid);
  }

  stopSampling(): void {
    if (this.sampler) {
      clearInterval(this.sampler);
    }
  }

  /** Resolves with the first message of this type; rejects if the process exits first or at the deadline. */
  waitFor(type: string, timeoutMs: number): Promise<SubjectMessage> {
    const already = this.received.get(type);
    if (already) {
      return Promise.resolve(already);
    }
    const arrived = new Promise<SubjectMessage>((resolveMessage) => {
      const list = this.waiters.get(type) ?? [];
      list.push(resolveMessage);
      this.waiters.set(type, list);
    });
    const died = this.exited.then((info) => {
      throw new Error(
        `${this.options.label} exited (code ${info.code}, signal ${info.signal}) before '${type}'; stderr: ${this.stderrTail.slice(-600)}`,
      );
    });
    return withDeadline(Promise.race([arrived, died]), timeoutMs, `${this.options.label}: waiting for '${type}'`);
  }

  /** Sends a signal (default SIGKILL) and waits for the exit, bounded. */
  async kill(signal: NodeJS.Signals = 'SIGKILL', timeoutMs = 15_000): Promise<ExitInfo> {
    if (this.exit) {
      return this.exit;
    }
    this.killedByHarness = true;
    this.child.kill(signal);
    try {
      return await withDeadline(this.exited, timeoutMs, `${this.options.label} to exit after ${signal}`);
    } catch (error) {
      if (signal === 'SIGKILL') {
        throw error;
      }
      log(`${String(error)}: sending SIGKILL`);
      return this.kill('SIGKILL', timeoutMs);
    }
  }

  /** Waits up to `timeoutMs` for the process to exit on its own, then kills it. */
  async exitOrKill(timeoutMs: number): Promise<ExitInfo> {
    try {
      return await withDeadline(this.exited, timeoutMs, `${this.options.label} to exit`);
    } catch {
      return this.kill('SIGKILL');
    }
  }

  private sample(): void {
    const pid = this.child.pid;
    if (pid === undefined || this.exit) {
      return;
    }
    try {
      const status = readFileSync(`/proc/${pid}/status`, 'utf8');
      const match = /VmRSS:\s+(\d+)\s+kB/.exec(status);
      if (match) {
        this.samples.push({ t: Math.round(this.elapsedMs()), rssMb: Math.round((Number(match[1]) / 1024) * 10) / 10 });
      }
    } catch {
      // the process is gone between the exit check and the read
    }
  }

  private onMessage(message: SubjectMessage): void {
    if (!message || typeof message.type !== 'string') {
      return;
    }
    if (message.type === 'status') {
      this.lastStatus = message;
    }
    if (!this.received.has(message.type)) {
      this.received.set(message.type, message);
    }
    for (const waiter of this.waiters.get(message.type) ?? []) {
      waiter(message);
    }
    this.waiters.delete(message.type);
  }

  /** Synchronous last resort (process exit / signal): SIGKILL everything still alive. */
  static killAllNow(): void {
    for (const subject of live) {
      try {
        subject.child.kill('SIGKILL');
      } catch {
        // already gone
      }
    }
  }
}

process.on('exit', () => Subject.killAllNow());

let interruptInstalled = false;
const interruptCleanups: (() => Promise<unknown>)[] = [];

/**
 * On Ctrl-C / SIGTERM: kill every child at once, run the registered broker cleanups (bounded),
 * exit 130. Each benchmark registers its cleanup here in addition to its own try/finally.
 */
export function onInterrupt(cleanup: () => Promise<unknown>): () => void {
  interruptCleanups.push(cleanup);
  if (!interruptInstalled) {
    interruptInstalled = true;
    const handler = (signal: NodeJS.Signals): void => {
      log(`${signal}: killing subjects and cleaning up the broker`);
      Subject.killAllNow();
      void withDeadline(Promise.allSettled(interruptCleanups.map((c) => c())), 60_000, 'cleanup on interrupt')
        .catch((error: unknown) => log(String(error)))
        .finally(() => process.exit(130));
    };
    process.once('SIGINT', handler);
    process.once('SIGTERM', handler);
  }
  return () => {
    const index = interruptCleanups.indexOf(cleanup);
    if (index >= 0) {
      interruptCleanups.splice(index, 1);
    }
  };
}
