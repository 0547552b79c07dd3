import type { Channel } from 'amqplib';
import { TopologyConflictError } from '../errors/topology-conflict.error.js';
import type { TopologyReporter } from './topology-reporter.js';

/** Longest wait for a channel of a closing connection to report itself closed. */
const CLOSED_WAIT_MS = 2_000;

/**
 * Runs a channel's setup (its declarations). On failure the channel is closed before the error
 * goes on, and a 406 is reported as a TopologyConflictError (the connection then closes and
 * retries with backoff).
 *
 * Why close it first: amqp-connection-manager goes on to re-attach consumers on the channel of
 * a failed setup, with a `prefetch()` it does not await — on a connection that is closing (as
 * after a topology conflict) that rejection would crash the process. Once the channel has
 * emitted 'close', the wrapper has forgotten it and skips that step; it gets a fresh channel on
 * the next connect.
 */
export async function guardedSetup(channel: Channel, reporter: TopologyReporter, declare: () => Promise<unknown>): Promise<void> {
  try {
    await declare();
  } catch (error) {
    await closeAndWait(channel);
    const conflict = TopologyConflictError.from(error);
    if (conflict) {
      reporter.conflict(conflict);
    }
    throw conflict ?? error;
  }
}

function closeAndWait(channel: Channel): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, CLOSED_WAIT_MS);
    timer.unref();
    const done = () => {
      clearTimeout(timer);
      resolve();
    };
    channel.once('close', done);
    channel.close().catch((error: unknown) => {
      // Already closed (the broker closed it on the failed declare): 'close' has been emitted.
      if (error instanceof Error && /channel closed/i.test(error.message)) {
        done();
      }
      // Otherwise the connection is closing: 'close' follows once it has.
    });
  });
}
