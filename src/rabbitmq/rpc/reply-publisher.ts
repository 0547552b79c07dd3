import type { Options } from 'amqplib';
import type { RabbitConnections } from '../connection/rabbit-connections.js';
import { PublishChannel } from '../publisher/publish-channel.js';
import type { ReplyDropReason } from './dropped-replies.js';

/** Where RequestProcessor sends a reply: this class on a broker, a recorder in warren/testing. */
export interface ReplySender {
  /** Sends one reply; resolves to why it was not sent, or undefined once the broker confirmed it. */
  send(replyTo: string, content: Buffer, properties: Options.Publish): Promise<ReplyDropReason | undefined>;
}

/**
 * Sends replies on a connection of their own (role `replies`), never the one events are
 * published on: RabbitMQ answers a reply to a direct reply-to address it cannot resolve by
 * closing the whole connection (541), and amqp-connection-manager then reconnects it while the
 * publisher goes on undisturbed. A reply is written once, never re-sent after a reconnect (the
 * address that closed the connection would close the next one too), and awaited until the
 * broker confirms it, so replies in flight stay bounded by the request queues' prefetch.
 */
export class ReplyPublisher implements ReplySender {
  private readonly channel: PublishChannel;

  constructor(
    private readonly connections: RabbitConnections,
    /** How long a reply waits for its confirm (the module's publishTimeoutMs). */
    private readonly confirmTimeoutMs: number,
  ) {
    // Nothing to declare: the channel is ready as soon as it opens, which also restarts the
    // connection's reconnect backoff (a closed reply connection comes back at the base delay).
    this.channel = new PublishChannel(connections.get('replies'), () => Promise.resolve(connections.channelsReady('replies')));
  }

  async send(replyTo: string, content: Buffer, properties: Options.Publish): Promise<ReplyDropReason | undefined> {
    if (this.connections.state('replies').blocked) {
      return 'not_sent'; // written now, it would wait in the socket for as long as the broker blocks
    }
    let confirmed: Promise<void>;
    try {
      confirmed = this.channel.write('', replyTo, content, properties);
    } catch {
      return 'not_sent'; // no open channel: reconnecting
    }
    let timer: NodeJS.Timeout | undefined;
    const outcome = confirmed.then(
      () => undefined,
      (): ReplyDropReason => 'refused', // nacked, or the channel closed first
    );
    const late = new Promise<ReplyDropReason>((resolve) => (timer = setTimeout(() => resolve('not_sent'), this.confirmTimeoutMs)));
    try {
      return await Promise.race([outcome, late]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Closes the reply channel (the connection is closed by RabbitConnections). */
  async close(): Promise<void> {
    await this.channel.wrapper.close().catch(() => undefined);
  }
}
