import { DEFAULT_PEEK_LIMIT } from '../rabbitmq/admin.js';

/** What the operator asked `dlq` to do, parsed and checked. */
export type DlqCommand =
  | { command: 'list'; queues: string[] }
  | { command: 'peek'; queue: string; limit: number }
  | { command: 'replay'; queue: string; limit?: number; force: boolean }
  | { command: 'purge'; queue: string; yes: boolean; force: boolean }
  | { command: 'outbox'; limit: number }
  | { command: 'outbox-requeue'; messageId: string }
  | { command: 'help' };

/** Bad command line: the CLI prints the message and the usage, and exits 2. */
export class DlqUsageError extends Error {
  override readonly name = 'DlqUsageError';
}

export const DLQ_USAGE = `usage: npm run dlq -- <command> [queue] [options]

commands:
  list [queue...]             depth of the service's dead-letter queues (and of any queue named)
  peek <queue> [--limit N]    show up to N parked messages (default ${DEFAULT_PEEK_LIMIT}) with their reason headers;
                              nothing is removed
  replay <queue> [--limit N] [--force]
                              move parked messages back into <queue>, attempt count reset;
                              each is confirmed by the broker before it leaves the DLQ.
                              Messages it could not move are counted and explained (exit 1)
  purge <queue> --yes [--force]
                              delete every parked message (without --yes: only say how many)

  outbox [--limit N]          the outbox's dead rows (warren_outbox_dead: events the relay could not
                              publish), most recent first, with their reason (default ${DEFAULT_PEEK_LIMIT})
  outbox-requeue <messageId>  move one dead outbox row back into the outbox (attempts reset): the relay
                              publishes it again

replay and purge touch only a dead-letter queue of this service's handlers, unless --force.

<queue> is a handler queue (orders.audit) or its DLQ (orders.audit.dlq).
The broker and service come from AMQP_URL and SERVICE_NAME, the outbox's database from DATABASE_URL,
as for the service itself.`;

const COMMANDS = new Set(['list', 'peek', 'replay', 'purge', 'outbox', 'outbox-requeue']);
/** An outbox message id is a UUID (the column's type): anything else is a typo, said so before asking the database. */
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Parses `process.argv.slice(2)`. Strict: an option a command does not take is an error. */
export function parseDlqArguments(argv: string[]): DlqCommand {
  const positional: string[] = [];
  let limit: number | undefined;
  let yes = false;
  let force = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--help' || arg === '-h') {
      return { command: 'help' };
    }
    if (arg === '--yes' || arg === '-y') {
      yes = true;
    } else if (arg === '--force') {
      force = true;
    } else if (arg === '--limit' || arg.startsWith('--limit=')) {
      const value = arg === '--limit' ? argv[++i] : arg.slice('--limit='.length);
      limit = parseLimit(value);
    } else if (arg.startsWith('-')) {
      throw new DlqUsageError(`unknown option '${arg}'`);
    } else {
      positional.push(arg);
    }
  }
  const [command, ...queues] = positional;
  if (command === undefined) {
    throw new DlqUsageError('missing command');
  }
  if (!COMMANDS.has(command)) {
    throw new DlqUsageError(`unknown command '${command}'`);
  }
  // Refusing options a command ignores keeps e.g. `purge q --limit 5` from purging everything.
  if (limit !== undefined && command !== 'peek' && command !== 'replay' && command !== 'outbox') {
    throw new DlqUsageError(`'${command}' takes no --limit`);
  }
  if (yes && command !== 'purge') {
    throw new DlqUsageError(`'${command}' takes no --yes`);
  }
  if (force && command !== 'replay' && command !== 'purge') {
    throw new DlqUsageError(`'${command}' takes no --force`);
  }
  if (command === 'list') {
    return { command, queues };
  }
  if (command === 'outbox') {
    if (queues.length > 0) {
      throw new DlqUsageError(`'outbox' takes no queue, got ${queues.length}`);
    }
    return { command, limit: limit ?? DEFAULT_PEEK_LIMIT };
  }
  if (command === 'outbox-requeue') {
    if (queues.length !== 1 || !UUID.test(queues[0])) {
      throw new DlqUsageError(`'outbox-requeue' takes one message id (a UUID, as 'outbox' lists it)`);
    }
    return { command, messageId: queues[0] };
  }
  if (queues.length !== 1) {
    throw new DlqUsageError(`'${command}' takes exactly one queue, got ${queues.length}`);
  }
  const [queue] = queues;
  if (command === 'peek') {
    return { command, queue, limit: limit ?? DEFAULT_PEEK_LIMIT };
  }
  if (command === 'replay') {
    return limit === undefined ? { command, queue, force } : { command, queue, limit, force };
  }
  return { command: 'purge', queue, yes, force };
}

function parseLimit(value: string | undefined): number {
  if (value === undefined || !/^\d+$/.test(value) || Number(value) < 1) {
    throw new DlqUsageError(`--limit needs a positive integer, got '${value ?? ''}'`);
  }
  return Number(value);
}
