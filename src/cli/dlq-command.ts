import type { DeadLetterAdmin } from '../rabbitmq/dlq/dead-letter-admin.js';
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
