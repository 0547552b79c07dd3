import type { Channel } from 'amqplib';

/** Longest wait for a channel of a closing connection to report itself closed. */
const CLOSED_WAIT_MS = 2_000;

/**
 * Closes the channel of a failed setup and resolves only once it is closed. Why it must be
 * closed before the setup rejects: amqp-connection-manager goes on to re-attach consumers on
 * the channel of a failed setup, with a `prefetch()` it does not await — on a connection that
 * is closing (as after a topology conflict) that rejection would crash the process. Once the
 * channel has emitted 'close', the wrapper has forgotten it and skips that step.
 */
export function closeAfterFailedSetup(channel: Channel): Promise<void> {
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
