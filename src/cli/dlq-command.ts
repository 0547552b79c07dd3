import type { DeadLetterAdmin } from '../rabbitmq/dlq/dead-letter-admin.js';
import { resolveDeadLetterTarget } from '../rabbitmq/dlq/dead-letter-names.js';
import type { DlqCommand } from './dlq-arguments.js';
import { formatListing, formatPeek } from './dlq-output.js';

/** Exit codes of the dlq command. */
export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;
/** Bad usage, or a purge refused for want of `--yes`. */
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
 * the caller, which prints them as one redacted line.
 */
export async function runDlqCommand(command: Exclude<DlqCommand, { command: 'help' }>, context: DlqCommandContext): Promise<number> {
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
      const refusal = command.force ? undefined : await replayRefusal(command.queue, context);
      if (refusal !== undefined) {
        err(refusal);
        return EXIT_USAGE;
      }
      const result = await admin.replay(command.queue, { limit: command.limit });
      out(`replayed ${result.replayed} message(s) from ${result.dlq} to ${result.queue}`);
      return EXIT_OK;
    }
    case 'purge': {
      if (!command.yes) {
        const depth = await admin.depth(command.queue);
        err(`${depth.dlq} holds ${depth.messages} message(s); nothing purged: re-run with --yes to delete them`);
        return EXIT_USAGE;
      }
      const purged = await admin.purge(command.queue);
      out(`purged ${purged.messages} message(s) from ${purged.dlq}`);
      return EXIT_OK;
    }
  }
}

/**
 * Why `replay` must not touch `name`, or undefined when it is a dead-letter queue of one of this
 * service's handlers. Any other `<x>.dlq` was not filled by warren: its messages carry none of our
 * reason headers and may belong to another application, and "replaying" them into `<x>` (which
 * may not even be consumed, or by something else) moves data nobody asked to move.
 */
async function replayRefusal(name: string, context: DlqCommandContext): Promise<string | undefined> {
  const target = resolveDeadLetterTarget(name);
  const own = await context.handlerQueues();
  if (own.includes(target.queue)) {
    return undefined;
  }
  const known = own.length > 0 ? own.map((queue) => `${queue}.dlq`).join(', ') : 'none';
  return (
    `refusing to replay ${target.dlq}: it is not a dead-letter queue of this service's handlers (SERVICE_NAME's are: ${known}), ` +
    `so warren did not park its messages and cannot tell they belong in ${target.queue}; nothing moved. ` +
    `Check SERVICE_NAME, or re-run with --force to move them into ${target.queue} anyway`
  );
}
