import type { Channel } from 'amqplib';
import { TopologyConflictError } from '../errors/topology-conflict.error.js';
import type { QueueType } from '../options/rabbitmq-options.interface.js';
import { deadLetterQueueName, retryQueueName, unroutedExchangeName, unroutedQueueName } from './topology-names.js';
import type { TopologyReporter } from './topology-reporter.js';

/** Opens a short-lived channel on the current connection, for a declare that may fail. */
export type ScratchChannelFactory = () => Promise<Channel>;

/** How the events exchange exists on the broker. */
export type EventsExchangeForm = 'plain' | 'legacy-alternate-exchange';

/** Arguments that bound a queue (`<queue>.dlq`, `<exchange>.unrouted`, request queues); empty = unbounded. */
export type QueueBound = Record<string, unknown>;

/**
 * Arguments a bound may set. A bounded queue that differs from the declaration only in these
 * (made before bounds existed, or under other limits) is used as it is, never a conflict.
 */
const BOUND_ARGUMENTS: ReadonlySet<string> = new Set(['x-max-length', 'x-max-length-bytes', 'x-overflow', 'x-message-ttl']);

/** What every declaration needs besides the channel it runs on. */
export interface DeclareContext {
  scratch: ScratchChannelFactory;
  reporter: TopologyReporter;
  queueType: QueueType;
}

/**
 * Declares the events exchange exactly as any producer would (`topic`, durable, no arguments),
 * so a Go, Python or Nest producer declaring it before or after us never meets a 406.
 * Idempotent: run on every (re)connect by both connections, so either one can come up first.
 *
 * The declare runs on a scratch channel because a failed declare makes the broker close the
 * channel it ran on. An exchange made by an older warren carries `alternate-exchange =
 * <exchange>.unrouted`: that one is used as it is (its alternate exchange keeps parking
 * unroutable events broker-side) and reported once, so upgrades need no downtime. Any other
 * difference is a TopologyConflictError.
 */
export async function declareEventsExchange(
  channel: Channel,
  exchange: string,
  context: DeclareContext & { unroutedBound: QueueBound },
): Promise<EventsExchangeForm> {
  const failure = await onScratch(context.scratch, (probe) => probe.assertExchange(exchange, 'topic', { durable: true }));
  if (failure === undefined) {
    context.reporter.declared('exchange', exchange);
    return 'plain';
  }
  const conflict = TopologyConflictError.from(failure, { kind: 'exchange', name: exchange });
  if (!conflict || conflict.conflict.kind !== 'exchange' || conflict.conflict.argument !== 'alternate-exchange') {
    // eslint-disable-next-line @typescript-eslint/only-throw-error -- amqplib's own error, passed on unchanged
    throw conflict ?? failure;
  }
  // The old form: make sure its alternate exchange still leads to the unrouted queue.
  const unrouted = unroutedExchangeName(exchange);
  await declareUnroutedQueue(exchange, context);
  await channel.assertExchange(unrouted, 'fanout', { durable: true });
  await channel.bindQueue(unroutedQueueName(exchange), unrouted, '');
  context.reporter.declared('exchange', exchange);
  context.reporter.legacyExchange(exchange);
  return 'legacy-alternate-exchange';
}

/**
 * Declares `<exchange>.unrouted`, where the publisher keeps a copy of each event the broker
 * returned as unroutable (published to it through the default exchange).
 */
export async function declareUnroutedQueue(exchange: string, context: DeclareContext & { unroutedBound: QueueBound }): Promise<void> {
  // Replicated like the handler queues: a classic queue lives on one node, and while that node
  // is down every (re)declare of it fails — which would stop the service connecting at all.
  await declareBoundedQueue(unroutedQueueName(exchange), context, context.unroutedBound);
}

export interface HandlerQueueSpec {
  exchange: string;
  queue: string;
  /** Bound to the exchange by it; absent for a partition queue, which only its router publishes to. */
  pattern?: string;
  /** Where the broker dead-letters what warren cannot settle; `<queue>.dlq` unless given (a partition parks in its handler's). */
  deadLetterQueue?: string;
  deliveryLimit: number;
  /** Bound of its dead-letter queue. */
  deadLetterBound: QueueBound;
  /** The handler's own arguments (length bound, TTL, priority, single active consumer), validated at registration. */
  arguments?: Record<string, unknown>;
}

/** Declares a handler queue, its dead-letter queue, and binds it to the exchange by pattern. */
export async function declareHandlerQueue(channel: Channel, spec: HandlerQueueSpec, context: DeclareContext): Promise<void> {
  const dlq = spec.deadLetterQueue ?? deadLetterQueueName(spec.queue);
  await declareBoundedQueue(dlq, context, spec.deadLetterBound);
  await declareOrConflict(context, 'queue', spec.queue, (probe) =>
    probe.assertQueue(spec.queue, {
      durable: true,
      arguments: {
        'x-queue-type': context.queueType,
        // Broker-side dead-lettering is the backstop for messages we never get to settle
        // (delivery limit reached); our own dead-lettering adds the reason headers.
        ...deadLetterTo(dlq, context.queueType),
        ...(context.queueType === 'quorum' ? { 'x-delivery-limit': spec.deliveryLimit } : {}),
        // Last, so the handler's overflow replaces the quorum default (reject-publish).
        ...spec.arguments,
      },
    }),
  );
  if (spec.pattern !== undefined) {
    await channel.bindQueue(spec.queue, spec.exchange, spec.pattern);
  }
}

/**
 * Declares the queue of a request pattern (`<exchange>.rpc.<pattern>`), reached through the default exchange.
 * Of the module's queue type (a quorum queue survives a node loss) but with no dead-lettering:
 * a request that expires (its caller gave up) is dropped, never parked. Bounded like the leftover
 * queues (`bound`, see leftover-bounds.ts), and like them a queue made before the bound is used
 * as it is.
 */
export async function declareRequestQueue(queue: string, context: DeclareContext & { bound: QueueBound }): Promise<void> {
  await declareBoundedQueue(queue, context, context.bound);
}

/**
 * Declares `<queue>.retry.<delay>`: messages wait there for `delayMs` (per-queue TTL, so the
 * head always expires first) and are then dead-lettered through the default exchange to the
 * originating queue only — never re-published to the exchange, which would re-deliver the
 * event to every other handler of it.
 */
export async function declareRetryQueue(
  channel: Pick<Channel, 'assertQueue'>,
  spec: { queue: string; delayMs: number; queueType: QueueType },
): Promise<string> {
  const name = retryQueueName(spec.queue, spec.delayMs);
  await channel.assertQueue(name, {
    durable: true,
    arguments: {
      'x-queue-type': spec.queueType,
      'x-message-ttl': spec.delayMs,
      ...deadLetterTo(spec.queue, spec.queueType),
    },
  });
  return name;
}

/**
 * Declares a queue with its bound: one that collects leftovers (dead letters, unroutable events)
 * or requests. A queue made before the bound existed (or with another bound) keeps working: the broker
 * answers 406 naming the bound's argument, the queue is then checked passively and used as it
 * is, and the reporter says how to migrate — an upgrade never stops at a 406.
 */
async function declareBoundedQueue(name: string, context: DeclareContext, bound: QueueBound): Promise<void> {
  const plain = { 'x-queue-type': context.queueType };
  const failure = await onScratch(context.scratch, (probe) => probe.assertQueue(name, { durable: true, arguments: { ...plain, ...bound } }));
  if (failure !== undefined) {
    const conflict = TopologyConflictError.from(failure, { kind: 'queue', name });
    const argument = conflict?.conflict.argument;
    if (!conflict || argument === undefined || !BOUND_ARGUMENTS.has(argument)) {
      // eslint-disable-next-line @typescript-eslint/only-throw-error -- amqplib's own error, passed on unchanged
      throw conflict ?? failure;
    }
    // It exists with another (or no) bound: a passive check is all it needs to be used as it is.
    await declareOrConflict(context, 'queue', name, (probe) => probe.checkQueue(name));
    context.reporter.unboundedQueue(name, argument, bound);
    return;
  }
  context.reporter.declared('queue', name);
}

/** Runs a declare on a scratch channel; a 406 becomes a TopologyConflictError. */
async function declareOrConflict(
  context: DeclareContext,
  kind: 'exchange' | 'queue',
  name: string,
  declare: (probe: Channel) => Promise<unknown>,
): Promise<void> {
  const failure = await onScratch(context.scratch, declare);
  if (failure !== undefined) {
    // eslint-disable-next-line @typescript-eslint/only-throw-error -- amqplib's own error, passed on unchanged
    throw TopologyConflictError.from(failure, { kind, name }) ?? failure;
  }
  context.reporter.declared(kind, name);
}

/** Runs `declare` on a fresh channel and closes it; resolves to the failure, if any. */
async function onScratch(scratch: ScratchChannelFactory, declare: (probe: Channel) => Promise<unknown>): Promise<unknown> {
  const probe = await scratch();
  // A channel error without a listener is escalated by amqplib to the whole connection.
  probe.on('error', () => undefined);
  try {
    await declare(probe);
  } catch (error) {
    return error ?? new Error('declare failed');
  }
  await probe.close().catch(() => undefined);
  return undefined;
}

/**
 * Dead-letter through the default exchange straight into `target`. Quorum queues dead-letter
 * at-most-once unless told otherwise; at-least-once (which needs reject-publish overflow)
 * keeps a message until the target queue has confirmed it.
 */
function deadLetterTo(target: string, queueType: QueueType): Record<string, unknown> {
  return {
    'x-dead-letter-exchange': '',
    'x-dead-letter-routing-key': target,
    ...(queueType === 'quorum' ? { 'x-dead-letter-strategy': 'at-least-once', 'x-overflow': 'reject-publish' } : {}),
  };
}
