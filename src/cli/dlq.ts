/**
 * Operator command for the dead-letter queues: `npm run dlq -- list|peek|replay|purge [queue]`
 * (`node dist/cli/dlq.js …`), and for the outbox's dead rows: `outbox`, `outbox-requeue <messageId>`. Exit codes: 0 done, 1 failed (one line on stderr, secrets
 * masked, controls escaped) or a replay that left messages it counted, 2 bad usage, a purge
 * without `--yes`, or a replay or purge of a queue that is not this service's without `--force`.
 */
import 'reflect-metadata';
import amqp, { type ChannelModel } from 'amqplib';
import { loadConfig } from '../config/load-config.js';
// The operator entry, like the rest of the app (the config loader already loads Nest's logger).
import { DeadLetterAdmin, resolveRabbitMQOptions, socketOptions } from '../rabbitmq/admin.js';
import { DLQ_USAGE, DlqUsageError, parseDlqArguments } from './dlq-arguments.js';
import { EXIT_FAILURE, EXIT_OK, EXIT_USAGE, runDlqCommand } from './dlq-command.js';
import { runOutboxCommand } from './dlq-outbox.js';
import { printable } from './dlq-output.js';

const out = (line: string): void => {
  process.stdout.write(`${line}\n`);
};
const err = (line: string): void => {
  process.stderr.write(`${line}\n`);
};

async function main(argv: string[]): Promise<number> {
  let command;
  try {
    command = parseDlqArguments(argv);
  } catch (error) {
    if (error instanceof DlqUsageError) {
      err(`dlq: ${printable(error.message)}\n\n${DLQ_USAGE}`);
      return EXIT_USAGE;
    }
    throw error;
  }
  if (command.command === 'help') {
    out(DLQ_USAGE);
    return EXIT_OK;
  }
  if (command.command === 'outbox' || command.command === 'outbox-requeue') {
    // PostgreSQL only: no broker connection (the broker may be the reason rows died).
    return runOutboxCommand(command, { databaseUrl: process.env.DATABASE_URL, out, err });
  }
  const config = loadConfig();
  const options = resolveRabbitMQOptions(config.rabbitmq);
  const connection = await connectToAny(options.urls, socketOptions(options, `${options.serviceName}-dlq-cli`));
  try {
    return await runDlqCommand(command, {
      admin: new DeadLetterAdmin(connection),
      exchange: options.exchange,
      handlerQueues: async () => (await import('./handler-queues.js')).discoverHandlerQueues(config),
      out,
      err,
    });
  } finally {
    await connection.close().catch(() => undefined);
  }
}

/**
 * Tries the configured URLs in order (a cluster lists several), like the service does, with the
 * service's socket options: its TLS settings, and a connect deadline so that a dead broker fails
 * the command quickly instead of leaving the operator waiting.
 */
async function connectToAny(urls: string[], options: Record<string, unknown>): Promise<ChannelModel> {
  let lastError: unknown;
  for (const url of urls) {
    try {
      const connection = await amqp.connect(url, options);
      // Failures surface through the operation in progress; unhandled, 'error' would crash.
      connection.on('error', () => undefined);
      return connection;
    } catch (error) {
      lastError = error;
    }
  }
  throw lastError;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    // Broker and amqplib errors quote queue names and URLs: one line, masked and escaped.
    err(printable(`dlq: ${message}`));
    process.exitCode = EXIT_FAILURE;
  },
);
