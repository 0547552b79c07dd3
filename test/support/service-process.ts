import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { TestDatabase } from './test-database.js';
import { waitFor } from './wait-for.js';

const MAIN = fileURLToPath(new URL('../../dist/main.js', import.meta.url));
/** How long start() and startListening() wait by default (see start()); below jest's testTimeout. */
const START_TIMEOUT_MS = 60_000;

/**
 * The built service (`node dist/main.js`) as its own process, as it runs in production: for
 * tests that send it signals or kill it. Output is kept so tests can count what it did.
 */
export class ServiceProcess {
  private output = '';
  private exited?: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;

  private constructor(
    readonly child: ChildProcess,
    database: TestDatabase | undefined,
  ) {
    child.stdout?.on('data', (chunk: Buffer) => (this.output += chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => (this.output += chunk.toString()));
    // 'close', not 'exit': 'exit' can come before the last output is read from the pipes, and a
    // test then sees a process that failed saying nothing (CI, 2026-12-06). The database this
    // process got is dropped once it has ended (awaited by exit() and stop()).
    this.exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
      child.on('close', (code, signal) => resolve({ code, signal })),
    ).then(async (ended) => {
      await database?.drop().catch(() => undefined);
      return ended;
    });
  }

  /**
   * Starts the service (env must set PORT) and waits until its readiness probe answers 200. The
   * deadline only bounds a start that never comes: a start takes ~1.5 s of CPU, which on the shared
   * 2-core machine under npm test's parallel workers took over 20 s of wall time (2026-12-06).
   */
  static async start(env: Record<string, string>, timeoutMs = START_TIMEOUT_MS): Promise<ServiceProcess> {
    const service = ServiceProcess.spawn(env);
    await service.waitOrStop('the service to be ready', () => service.isReady(env.PORT), timeoutMs);
    return service;
  }

  /** Starts the service and waits only until HTTP listens (for tests where it never gets ready). */
  static async startListening(env: Record<string, string>, timeoutMs = START_TIMEOUT_MS): Promise<ServiceProcess> {
    const service = ServiceProcess.spawn(env);
    await service.waitOrStop('the service to listen', () => service.output.includes('warren listening on port'), timeoutMs);
    return service;
  }

  /** Starts the service and returns at once (for tests that measure it from its first moment). */
  static launch(env: Record<string, string>): ServiceProcess {
    return ServiceProcess.spawn(env);
  }

  /** Runs the service to completion (e.g. a start-up that must fail) and returns its exit and output. */
  static async run(env: Record<string, string>, timeoutMs = 20_000): Promise<{ code: number | null; output: string }> {
    const service = ServiceProcess.spawn(env);
    const { code } = await service.exit(timeoutMs);
    return { code, output: service.output };
  }

  // METRICS_PORT 0 (any free port) unless the test sets one: services run side by side.
  // READINESS_DETAILS on unless the test sets it: tests read why a service is (not) ready. A
  // database of its own unless the test gives DATABASE_URL: no suite sees another's orders or outbox.
  private static spawn(env: Record<string, string>): ServiceProcess {
    const database = env.DATABASE_URL === undefined ? TestDatabase.createSync() : undefined;
    const child = spawn(process.execPath, [MAIN], {
      env: {
        ...process.env,
        NO_COLOR: '1',
        METRICS_PORT: '0',
        READINESS_DETAILS: 'true',
        ...(database ? { DATABASE_URL: database.url } : {}),
        ...env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    return new ServiceProcess(child, database);
  }

  /** Waits for `condition`; on timeout kills the process and reports its output. */
  private async waitOrStop(what: string, condition: () => boolean | Promise<boolean>, timeoutMs: number): Promise<void> {
    try {
      await waitFor(what, condition, { timeoutMs });
    } catch (error) {
      await this.stop();
      throw new Error(`${(error as Error).message}\n--- service output ---\n${this.output.slice(-3000)}`, { cause: error });
    }
  }

  /** GET /health/ready answers 200 (connections up, consumers attached). */
  async isReady(port: string): Promise<boolean> {
    const response = await fetch(`http://127.0.0.1:${port}/health/ready`);
    return response.status === 200;
  }

  get logs(): string {
    return this.output;
  }

  /** Lines of the output that contain `text`. */
  linesWith(text: string): string[] {
    return this.output.split('\n').filter((line) => line.includes(text));
  }

  signal(signal: NodeJS.Signals): void {
    this.child.kill(signal);
  }

  /** Waits for the process to end, killing it after the deadline so no test leaves it behind. */
  async exit(timeoutMs = 30_000): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    const timer = setTimeout(() => this.child.kill('SIGKILL'), timeoutMs);
    try {
      return await this.exited!;
    } finally {
      clearTimeout(timer);
    }
  }

  /** Ends the process if it still runs. */
  async stop(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) {
      this.child.kill('SIGKILL');
      await this.exited;
    }
  }
}
