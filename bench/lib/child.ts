import { type ChildProcess, spawn } from 'node:child_process';
import { createWriteStream, mkdirSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { LOGS_DIR, log, withDeadline } from './util.js';

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
  /** used in logs and as the log file's name */
  label: string;
  /** compiled script to run with node */
  script: string;
  env?: Record<string, string>;
  /** `--max-old-space-size` in MB */
  maxOldSpaceMb?: number;
  /** a compiled module to preload with `--import` (the poison scenario's delivery counter) */
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
 * One benchmark subject: a plain `node` child process (never through npm, so its pid is the process measured), its
 * RSS read from /proc/<pid>/status every 250 ms from the outside, its output in bench/.logs/<label>.log, and the IPC
 * messages (`ready`, `warm`, `status`, `done`) it sends.
 */
export class Subject {
  readonly exited: Promise<ExitInfo>;
  exit?: ExitInfo;
  peakRssMb = 0;
  /** true once V8's fatal 'heap out of memory' appeared on stderr */
  heapOutOfMemory = false;
  stderrTail = '';
  /** first 64 KB of stdout + stderr (start-up logs: effective settings) */
  outputHead = '';
  lastStatus?: SubjectMessage;
  readonly logFile: string;
  private readonly child: ChildProcess;
  private readonly startedAt = performance.now();
  private readonly sampler: NodeJS.Timeout;
  private readonly received = new Map<string, SubjectMessage>();
  private killedByHarness = false;

  constructor(readonly options: SubjectOptions) {
    mkdirSync(LOGS_DIR, { recursive: true });
    this.logFile = resolve(LOGS_DIR, `${options.label.replace(/[^A-Za-z0-9._-]+/g, '_')}.log`);
    const logStream = createWriteStream(this.logFile).on('error', () => undefined);
    const nodeArgs = [
      ...(options.maxOldSpaceMb ? [`--max-old-space-size=${options.maxOldSpaceMb}`] : []),
      '--enable-source-maps',
      ...(options.preload ? [`--import=${pathToFileURL(options.preload).href}`] : []),
      options.script,
    ];
    this.child = spawn(process.execPath, nodeArgs, { stdio: ['ignore', 'pipe', 'pipe', 'ipc'], env: { ...process.env, ...options.env } });
    live.add(this);
    const onOutput = (chunk: Buffer, stderr: boolean): void => {
      logStream.write(chunk);
      const text = chunk.toString('utf8');
      this.outputHead += text.slice(0, Math.max(0, 65_536 - this.outputHead.length));
      if (stderr) {
        this.stderrTail = (this.stderrTail + text).slice(-8192);
        this.heapOutOfMemory ||= /heap out of memory/i.test(this.stderrTail);
      }
    };
    this.child.stdout?.on('data', (chunk: Buffer) => onOutput(chunk, false));
    this.child.stderr?.on('data', (chunk: Buffer) => onOutput(chunk, true));
    this.child.on('close', () => logStream.end());
    this.child.on('error', (error) => logStream.write(`spawn error: ${error.message}\n`));
    this.child.on('message', (message: SubjectMessage) => {
      if (message?.type === 'status') {
        this.lastStatus = message;
      }
      if (typeof message?.type === 'string' && !this.received.has(message.type)) {
        this.received.set(message.type, message);
      }
    });
    this.exited = new Promise<ExitInfo>((resolveExit) => {
      this.child.on('exit', (code, signal) => {
        this.exit = { code, signal, atMs: this.elapsedMs(), killedByHarness: this.killedByHarness };
        clearInterval(this.sampler);
        live.delete(this);
        resolveExit(this.exit);
      });
    });
    this.sampler = setInterval(() => this.sampleRss(), 250);
  }

  elapsedMs(): number {
    return performance.now() - this.startedAt;
  }

  /** CPU time (user + system) the process has used so far, in seconds; null once it is gone. */
  cpuSeconds(): number | null {
    return this.child.pid === undefined || this.exit ? null : processCpuSeconds(this.child.pid);
  }

  /** The first message of this type; rejects if the process exits first or at the deadline. */
  async waitFor(type: string, timeoutMs: number): Promise<SubjectMessage> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const message = this.received.get(type);
      if (message) {
        return message;
      }
      if (this.exit) {
        throw new Error(`${this.options.label} exited (${this.exit.code ?? this.exit.signal}) before '${type}': ${this.stderrTail.slice(-600)}`);
      }
      if (Date.now() > deadline) {
        throw new Error(`${this.options.label}: no '${type}' within ${timeoutMs} ms`);
      }
      await new Promise((done) => setTimeout(done, 50));
    }
  }

  /** Sends a signal (default SIGKILL) and waits for the exit, bounded; SIGKILL after a signal that was not enough. */
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
    return withDeadline(this.exited, timeoutMs, `${this.options.label} to exit`).catch(() => this.kill('SIGKILL'));
  }

  private sampleRss(): void {
    try {
      const match = /VmRSS:\s+(\d+)\s+kB/.exec(readFileSync(`/proc/${this.child.pid}/status`, 'utf8'));
      this.peakRssMb = Math.max(this.peakRssMb, match ? Math.round(Number(match[1]) / 1024) : 0);
    } catch {
      // gone between the exit and the read
    }
  }

  /** Synchronous last resort (process exit / signal): SIGKILL everything still alive. */
  static killAllNow(): void {
    for (const subject of live) {
      subject.child.kill('SIGKILL');
    }
  }
}

process.on('exit', () => Subject.killAllNow());

/** On Ctrl-C / SIGTERM: kill every child, run the broker cleanup (bounded), exit 130. */
export function onInterrupt(cleanup: () => Promise<unknown>): void {
  const handler = (signal: NodeJS.Signals): void => {
    log(`${signal}: killing subjects and cleaning up the broker`);
    Subject.killAllNow();
    void withDeadline(cleanup(), 60_000, 'cleanup on interrupt')
      .catch((error: unknown) => log(String(error)))
      .finally(() => process.exit(130));
  };
  process.once('SIGINT', handler);
  process.once('SIGTERM', handler);
}
