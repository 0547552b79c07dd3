import { type DeadLetterAdmin, resolveDeadLetterTarget } from '../rabbitmq/admin.js';
// A Nest-free module, not the admin entry's value exports: the CLI starts without loading Nest (see dlq.ts).
import type { DlqCommand } from './dlq-arguments.js';
import { formatListing, formatPeek, printable } from './dlq-output.js';

/** Exit codes of the dlq command. */
export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;
/** Bad usage, or a purge or replay refused for want of `--yes` or `--force`. */
export const EXIT_USAGE = 2;

export interface DlqCommandContext {
  admin: DeadLetterAdmin;
  /** The service's events exchange, whose `.unrouted` queue `list` also shows. */
  exchange: string;
  /** Handler queues of the service, discovered only when `list` needs them. */
  handlerQueues: () => Promise<string[]>;
  out: (line: string) => void;
  err: (line: string) => void;
}

/**
 * Runs one parsed command against the broker and returns the exit code. Errors are thrown to
 * the caller, which prints them as one redacted line. Queue names in messages go through
 * `printable` like every other field (they may come from the command line or the broker).
 */
export async function runDlqCommand(
  command: Exclude<DlqCommand, { command: 'help' | 'outbox' | 'outbox-requeue' }>,
  context: DlqCommandContext,
): Promise<number> {
  const { admin, out, err } = context;
  switch (command.command) {
    case 'list': {
      const queues = [...new Set([...(await context.handlerQueues()), ...command.queues])];
      const listings = await admin.list(queues);
      out(formatListing(listings, await admin.unrouted(context.exchange)));
      return EXIT_OK;
    }
    case 'peek': {
      out(formatPeek(await admin.peek(command.queue, command.limit)));
      return EXIT_OK;
    }
    case 'replay': {
      const refusal = command.force ? undefined : await ownershipRefusal('replay', command.queue, context);
      if (refusal !== undefined) {
        err(refusal);
        return EXIT_USAGE;
      }
      const result = await admin.replay(command.queue, { limit: command.limit });
      out(`replayed ${result.replayed} message(s) from ${printable(result.dlq)} to ${printable(result.queue)}`);
      if (result.skipped > 0) {
        err(`not replayed: ${result.skipped} message(s) counted at the start: ${result.skippedBecause ?? 'no reason given'}`);
        return EXIT_FAILURE;
      }
      return EXIT_OK;
    }
    case 'purge': {
      const refusal = command.force ? undefined : await ownershipRefusal('purge', command.queue, context);
      if (refusal !== undefined) {
        err(refusal);
        return EXIT_USAGE;
      }
      if (!command.yes) {
        const depth = await admin.depth(command.queue);
        err(`${printable(depth.dlq)} holds ${depth.messages} message(s); nothing purged: re-run with --yes to delete them`);
        return EXIT_USAGE;
      }
      const purged = await admin.purge(command.queue);
      out(`purged ${purged.messages} message(s) from ${printable(purged.dlq)}`);
      return EXIT_OK;
    }
  }
}

/**
 * Why `replay` or `purge` must not touch `name`, or undefined when it is a dead-letter queue of
 * one of this service's handlers. Any other `<x>.dlq` was not filled by warren: its messages
 * carry none of our reason headers and may belong to another application; replaying them into
 * `<x>` (which may not even be consumed, or by something else) moves data nobody asked to move,
 * and purging them deletes it.
 */
async function ownershipRefusal(command: 'replay' | 'purge', name: string, context: DlqCommandContext): Promise<string | undefined> {
  const target = resolveDeadLetterTarget(name);
  const own = await context.handlerQueues();
  if (own.includes(target.queue)) {
    return undefined;
  }
  const known = own.length > 0 ? own.map((queue) => `${queue}.dlq`).join(', ') : 'none';
  const queue = printable(target.queue);
  const [outcome, anyway] =
    command === 'replay'
      ? [`cannot tell they belong in ${queue}; nothing moved`, `to move them into ${queue} anyway`]
      : ['they may be what another application waits for; nothing deleted', 'to delete them anyway'];
  return (
    `refusing to ${command} ${printable(target.dlq)}: it is not a dead-letter queue of this service's handlers (SERVICE_NAME's are: ${known}), ` +
    `so warren did not park its messages and ${outcome}. Check SERVICE_NAME, or re-run with --force ${anyway}`
  );
}
