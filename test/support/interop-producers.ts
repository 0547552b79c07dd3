import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** The producer programs docs/interop.md shows. */
const PIKA_PUBLISHER = fileURLToPath(new URL('../interop/pika-publisher.py', import.meta.url));
const GO_PUBLISHER_SOURCE = fileURLToPath(new URL('../interop/amqp091-publisher.go', import.meta.url));

/**
 * Debian's python3-pika installs for the system interpreter, which is not always the first
 * `python3` on PATH (pyenv shims, venvs). INTEROP_PYTHON points at another one that has pika.
 */
const PYTHON = process.env.INTEROP_PYTHON ?? '/usr/bin/python3';

/** Where Debian's golang-github-rabbitmq-amqp091-go-dev puts the package's source (GOPATH layout). */
const DEBIAN_GOPATH = '/usr/share/gocode';

/** Kept between runs so the second build takes a moment; only Go's own cache lives there. */
const GO_CACHE = join(tmpdir(), 'warren-interop-go-cache');

/** One event as a foreign producer sends it: what goes on the wire, and where. */
export interface ProducedEvent {
  amqpUrl: string;
  exchange: string;
  routingKey: string;
  messageId: string;
  body: string;
}

/**
 * Publishes with the pika script (declare the exchange, confirm mode, one persistent publish).
 * A missing interpreter or pika fails with the command that installs it: CI must not skip this.
 */
export async function publishWithPika(event: ProducedEvent): Promise<void> {
  await requirePika();
  await runProducer(PYTHON, [PIKA_PUBLISHER, event.exchange, event.routingKey, event.messageId, event.body], event.amqpUrl);
}

/**
 * The Go publisher, compiled once into a temp dir against Debian's amqp091-go package: GOPATH
 * mode (GO111MODULE=off), since the module proxy cannot be reached offline and Debian ships the
 * package as GOPATH source. `dispose()` removes the binary.
 */
export class GoPublisher {
  private constructor(
    private readonly dir: string,
    private readonly binary: string,
  ) {}

  static async build(): Promise<GoPublisher> {
    const dir = await mkdtemp(join(tmpdir(), 'warren-interop-go-'));
    const binary = join(dir, 'amqp091-publisher');
    try {
      await run('go', ['build', '-o', binary, GO_PUBLISHER_SOURCE], {
        cwd: dir,
        // CGO_ENABLED=0: a pure-Go build needs no C compiler (golang-go only recommends gcc).
        env: { ...process.env, GO111MODULE: 'off', GOPATH: DEBIAN_GOPATH, GOFLAGS: '', GOCACHE: GO_CACHE, CGO_ENABLED: '0' },
        timeout: 180_000,
      });
    } catch (error) {
      await rm(dir, { recursive: true, force: true });
      throw new Error(goBuildFailure(error), { cause: error });
    }
    return new GoPublisher(dir, binary);
  }

  /** Publishes one event and resolves once the broker confirmed it (the program exits 0). */
  publish(event: ProducedEvent): Promise<void> {
    return runProducer(this.binary, [event.exchange, event.routingKey, event.messageId, event.body], event.amqpUrl);
  }

  async dispose(): Promise<void> {
    await rm(this.dir, { recursive: true, force: true });
  }
}

async function requirePika(): Promise<void> {
  try {
    await run(PYTHON, ['-c', 'import pika'], { timeout: 30_000 });
  } catch (error) {
    throw new Error(
      `${PYTHON} cannot import pika (${lastLine(error)}): install it with 'apt-get install -y python3-pika' ` +
        `(bash .ci/run does), or set INTEROP_PYTHON to an interpreter that has pika`,
      { cause: error },
    );
  }
}

/** The broker URL goes in the environment, not argv, so it never shows in `ps` or in an error. */
async function runProducer(command: string, args: string[], amqpUrl: string): Promise<void> {
  try {
    await run(command, args, { env: { ...process.env, AMQP_URL: amqpUrl }, timeout: 60_000 });
  } catch (error) {
    throw new Error(`${command} failed: ${lastLine(error)}`, { cause: error });
  }
}

function goBuildFailure(error: unknown): string {
  const failed = error as { code?: unknown; stderr?: string };
  if (failed.code === 'ENOENT') {
    return "the Go toolchain is missing: install it with 'apt-get install -y golang-go golang-github-rabbitmq-amqp091-go-dev' (bash .ci/run does)";
  }
  if (failed.stderr?.includes('rabbitmq/amqp091-go')) {
    return `Go cannot find amqp091-go under ${DEBIAN_GOPATH}: install it with 'apt-get install -y golang-github-rabbitmq-amqp091-go-dev' (bash .ci/run does); go said: ${failed.stderr.trim()}`;
  }
  return `go build of ${GO_PUBLISHER_SOURCE} failed: ${failed.stderr?.trim() || String(error)}`;
}

/** The program's last word on stderr (Go's log.Fatal line, Python's exception), else the spawn error. */
function lastLine(error: unknown): string {
  const failed = error as { stderr?: string; message?: string };
  const text = failed.stderr?.trim() || failed.message || String(error);
  return text.split('\n').pop() ?? text;
}
