import type { Compression } from '../codec/compression.js';
import { JSON_MAX_DEPTH } from '../codec/json.codec.js';
import type { MessageCodec } from '../codec/message-codec.interface.js';
import type { MemoryMeasure } from '../flow/memory-limit.js';

/** Queue type for handler queues. */
export type QueueType = 'quorum' | 'classic';

/**
 * Every option's default, in one literal spread under the options given to `forRoot`, group by
 * group (resolve-options.ts). The option types derive from it, so what a field means, its default
 * and why that default is said once, here. Integer bounds are in option-bounds.ts (INTEGER_BOUNDS,
 * by the option's path such as 'publish.timeoutMs'); the other checks in check-options.ts.
 */
export const RABBITMQ_DEFAULTS = {
  /**
   * Topic exchange events are published to; routing key = event pattern.
   * @default 'warren.events'
   */
  exchange: 'warren.events',
  /** Publishing: deadlines of a confirm and bounds of what waits for one. */
  publish: {
    /**
     * Deadline for a publish's confirm, in ms (waiting for a usable channel included). Past it the
     * caller gets PublishOutcomeUnknownError when the publish was written (504) or PublishTimeoutError
     * when it never was (503), never a hanging request.
     * @default 5000
     */
    timeoutMs: 5_000,
    /**
     * While the publisher connection is down, a publish waits at most this long for it, writing
     * nothing (503 well under a second); a publish written just before the broker blocked us waits
     * this long after the block for its confirm, then answers 504. In ms.
     * @default 250
     */
    failFastMs: 250,
    /**
     * Confirms have stalled when the oldest unconfirmed publish is this old, in ms: readiness fails
     * and new publishes are refused at once (503) until the broker answers again. A healthy broker
     * confirms in milliseconds, so 2 s only trips on a hung broker, well before `publish.timeoutMs`.
     * @default 2000
     */
    confirmStallMs: 2_000,
    /**
     * Unconfirmed publishes held at once (in flight plus buffered while disconnected or blocked);
     * beyond it a publish fails at once with PublishBufferFullError (503).
     * @default 1000
     */
    maxPending: 1_000,
    /**
     * Bytes of unconfirmed publishes held at once, for the same reason as `publish.maxPending`.
     * @default 16777216 (16 MiB)
     */
    maxPendingBytes: 16 * 1024 * 1024,
  },
  /** The broker connections: liveness, connect deadline, reconnect backoff, TLS. */
  connection: {
    /**
     * A connection whose broker went silent (frozen, a dead host, a black-holed network) is found
     * dead within twice this, in seconds: the heartbeat negotiated with the broker is half of it
     * (see negotiatedHeartbeatSeconds).
     * @default 10
     */
    heartbeatSeconds: 10,
    /**
     * Longest a connection attempt (TCP connect + TLS + AMQP handshake) may stay silent before it
     * counts as failed and the next URL is tried. amqplib has no such deadline by default: a node
     * that accepts TCP but never answers (hung broker, load balancer without a backend, a network
     * that black-holes the new flow) would hold the attempt forever, and amqp-connection-manager
     * never tries another URL while one attempt is pending. It is an idle timeout on the socket,
     * cleared once the connection is open (heartbeats take over from there). Lower it where a
     * second URL should take over faster; raise it for a far broker with slow TLS.
     * @default 10000
     */
    connectTimeoutMs: 10_000,
    /**
     * First reconnect backoff step, in ms: attempt n waits random(c/2, c), c = min(reconnectMaxMs,
     * base × 2ⁿ) ("equal jitter"), so a fleet of pods that lost the broker together does not
     * reconnect in lockstep.
     * @default 500
     */
    reconnectBaseMs: 500,
    /**
     * Longest reconnect backoff, in ms (at least `connection.reconnectBaseMs`): how long the service may take to
     * notice the broker is back. 1 s: back within ~2 s of the broker's return whatever the outage
     * length (a 30 s cap kept every POST at 503 for up to 30 s with a healthy broker), at most 2
     * attempts a second per connection.
     * @default 1000
     */
    reconnectMaxMs: 1_000,
    /** TLS for `amqps://` URLs: CA, client certificate and key read from files. */
    tls: {} as TlsOptions,
  },
  /** Consuming handler queues: queue type, prefetch window, handler deadlines, retries, kill switch, dead letters. */
  consume: {
    /**
     * Unacked deliveries per handler queue; a handler may override it. Never unbounded: with
     * prefetch 0 the broker pushes the whole backlog into the process, which is how Nest's built-in
     * transport runs out of memory. Capped so every queue's window of `encoding.maxMessageBytes` bodies fits
     * `flow.maxInFlightBytes`, and 1 until the queue's first body within `encoding.maxMessageBytes`.
     * @default 50
     */
    prefetch: 50,
    /**
     * Type of handler queues and their dead-letter queues: quorum queues replicate and carry a
     * delivery limit, the crash-loop backstop.
     * @default 'quorum'
     */
    queueType: 'quorum' as QueueType,
    /**
     * How long in-flight handlers may run on shutdown before their messages are requeued, in ms.
     * @default 10000
     */
    shutdownGraceMs: 10_000,
    /**
     * Retries of a failing handler (retryable errors only), overridable per handler with `@Retry`:
     * 5 retries at 1 s, 5 s, 30 s, 2 min and 10 min ride out a deploy or a short outage.
     * @default { attempts: 5, delaysMs: [1000, 5000, 30000, 120000, 600000] }
     */
    retry: { attempts: 5, delaysMs: [1_000, 5_000, 30_000, 120_000, 600_000] },
    /**
     * Longest a handler may run before its delivery counts as a retryable failure, in ms. Well
     * below RabbitMQ's consumer timeout (30 min), which would close the whole channel instead.
     * @default 30000
     */
    handlerTimeoutMs: 30_000,
    /**
     * Deliveries of one message before a quorum queue dead-letters it: the backstop for a message
     * that crashes the process before it can be settled. Fixed when the queue is first declared.
     * @default 20
     */
    deliveryLimit: 20,
    /**
     * Most messages a dead-letter queue holds (`x-max-length`, `x-overflow: reject-publish`): enough
     * for a long incident, small enough that a forgotten DLQ cannot fill the broker's disk. When full,
     * a message that cannot be parked stays in its queue and that consumer pauses (never dropped).
     * 0 = unbounded.
     * @default 100000
     */
    deadLetterMaxLength: 100_000,
    /**
     * Pauses a queue whose handler keeps failing, so a dead downstream does not drain it into the DLQ.
     * @default { window: 20, failureRatio: 0.5, cooldownMs: 30000, enabled: true }
     */
    killSwitch: {
      /** Outcomes remembered per queue. */
      window: 20,
      /** Share of failures in a full window that trips the switch, above 0 and at most 1. */
      failureRatio: 0.5,
      /** Pause before the consumer resumes on trial, in ms. */
      cooldownMs: 30_000,
      /** Set false to never pause. */
      enabled: true,
    },
  },
  /** Request/reply (`client.request()` / `send()` and `@HandleRequest` queues). */
  requests: {
    /**
     * Default wait of `client.request()` / `send()` for a reply, in ms; also the request's
     * `expiration`, so nobody works on a request its caller gave up. A caller (an HTTP request)
     * rarely waits longer than a few seconds for a lookup.
     * @default 5000
     */
    timeoutMs: 5_000,
    /**
     * Requests awaiting a reply at once; beyond it a request fails at once (503). Pending replies are
     * small: the bound is about failing fast when the responder is gone, not memory.
     * @default 1000
     */
    maxInFlight: 1_000,
    /**
     * Most requests waiting in each request queue (`x-max-length`); beyond it the oldest go
     * (`x-overflow: drop-head`): they are the ones whose callers are about to time out. Far above
     * what responders clear within a request timeout, far below what would fill the broker's memory
     * when they stop. A request queue made before the bound keeps working as it is (start-up log).
     * @default 10000
     */
    queueMaxLength: 10_000,
    /**
     * Queues a request's `replyTo` may name besides direct reply-to (`amq.rabbitmq.reply-to.*`, what
     * warren's and Nest's clients use). A reply to any other address is dropped and counted in
     * `warren_replies_dropped_total`: a requester must not make the service deliver into a queue of its choosing.
     * @default []
     */
    allowedReplyQueues: [] as string[],
  },
  /** Publishes no queue was bound to: copies kept in `<exchange>.unrouted`, and the log of them. */
  unrouted: {
    /**
     * Copies of unroutable publishes kept in `<exchange>.unrouted`, oldest dropped first; 0 = none
     * (still counted in `warren_publishes_unrouted_total` and logged).
     * @default 10000
     */
    maxLength: 10_000,
    /**
     * How long a copy stays in `<exchange>.unrouted`, in ms: a week to notice and replay it.
     * @default 604800000 (7 days)
     */
    ttlMs: 7 * 24 * 60 * 60 * 1000,
    /**
     * An unroutable routing key is logged at most once per this interval, in ms (every one is
     * still counted), so a misrouted producer cannot flood the log.
     * @default 60000
     */
    logIntervalMs: 60_000,
  },
  /** Flow control of consumption: bytes in flight, memory and event-loop delay. */
  flow: {
    /**
     * Bytes of message bodies in flight (delivered, not settled) across all queues; consumption
     * pauses above it. Prefetch bounds the count, this the bytes (200 × 4 MB at prefetch 50 is
     * 800 MB). A body in flight costs ~3× its size in RSS once decoded: 16 MiB is ~50 MB at worst.
     * @default 16777216 (16 MiB)
     */
    maxInFlightBytes: 16 * 1024 * 1024,
    /**
     * Memory (see `flow.memoryMeasure`) above which consumption pauses.
     * @default 70 % of the container memory limit, or else of the V8 heap limit (MEMORY_HIGH_WATERMARK_RATIO)
     */
    memoryHighWatermarkBytes: undefined as number | undefined,
    /**
     * Memory below which paused consumption resumes; the gap to the high mark stops it flapping.
     * @default 55 % of the same limit (the high mark × 55/70 when only that is given)
     */
    memoryLowWatermarkBytes: undefined as number | undefined,
    /**
     * What the watermarks are compared with: 'rss', or 'heap' (V8's used heap).
     * @default 'heap' when the watermarks derive from the V8 heap limit; else 'rss'
     */
    memoryMeasure: undefined as MemoryMeasure | undefined,
    /**
     * Event-loop delay (p99 over a check interval) above which consumption pauses, in ms: a loop this
     * late is overloaded and must stop taking work.
     * @default 1000
     */
    eventLoopDelayLimitMs: 1_000,
    /**
     * How often memory and event-loop delay are checked, in ms.
     * @default 250
     */
    checkIntervalMs: 250,
  },
  /** When `/health/ready` fails besides a lost connection. */
  readiness: {
    /**
     * Readiness fails when a consuming queue has work and nothing was settled for this long, in ms
     * (handlers hung beyond their timeout, or settling blocked).
     * @default 60000
     */
    stuckConsumerMs: 60_000,
    /**
     * Readiness fails when a consumed queue holds more ready messages than this; 0 = no limit.
     * @default 0
     */
    maxQueueDepth: 0,
    /**
     * Longest a readiness check waits for the depths of the consumed queues, in ms; two checks in a
     * row without an answer take readiness down (a frozen broker, or the network to it, that an idle
     * service would otherwise report ready until heartbeats expire). A broker answers in
     * milliseconds: raise it for a far broker under load, lower it to take a replica out sooner.
     * @default 1000
     */
    depthReadTimeoutMs: 1_000,
  },
  /** Message bodies: their largest size, how they are encoded and compressed, how deep a decoded one may nest. */
  encoding: {
    /**
     * Largest body published or consumed, in bytes: 256 KiB, the limit of SQS, SNS and EventBridge
     * (RabbitMQ's own 128 MiB in a Node process is an outage). Set the broker's `max_message_size` to
     * the same value: a larger body is still delivered (then parked as MessageTooLargeError).
     * @default 262144 (256 KiB)
     */
    maxMessageBytes: 256 * 1024,
    /**
     * Codec of published messages: 'json', 'msgpack', or the content type of a codec in `encoding.codecs`.
     * JSON by default: every AMQP client (Go, Python, an operator peeking at a DLQ) reads it.
     * Consuming follows each message's content-type.
     * @default 'json'
     */
    codec: 'json' as 'json' | 'msgpack' | (string & {}),
    /**
     * Extra codecs (e.g. protobuf), known by their content type; one with a built-in's type replaces it.
     * @default []
     */
    codecs: [] as MessageCodec[],
    /**
     * How bodies of at least `encoding.compressThresholdBytes` are compressed on publish (`content-encoding`):
     * gzip, which every AMQP client's language can undo; 'none' never compresses.
     * @default 'gzip'
     */
    compression: 'gzip' as Compression,
    /**
     * Encoded bodies at least this large are compressed: below 64 KiB compression buys little and
     * costs a thread-pool round trip; above it bodies shrink 3–10× (broker memory, disk, replication).
     * @default 65536 (64 KiB)
     */
    compressThresholdBytes: 64 * 1024,
    /**
     * Deepest nesting of arrays and objects a consumed JSON body may have; deeper ones are parked at
     * once as DecodeError, before recursive code (validation, handlers) could overflow the stack.
     * @default 64 (JSON_MAX_DEPTH, the JSON codec's own limit)
     */
    maxJsonDepth: JSON_MAX_DEPTH,
  },
  /**
   * The transactional outbox and inbox on PostgreSQL (`Outbox`, `Inbox`, a relay in every
   * replica; docs/outbox.md). Off unless `outbox` is given, with its `database` (a `pg.Pool` the
   * app owns and ends, or a postgres:// connection string for which the module opens and ends a
   * pool of its own); the tables are created or migrated at start.
   */
  outbox: {
    /**
     * Rows one claim takes. Every claimed row is published at once (rows of one key one after the
     * other), so it also bounds this relay's publishes waiting for confirms.
     * @default 200
     */
    batchSize: 200,
    /**
     * How long a claimed row is this relay's: another replica re-claims (and publishes again) a row
     * whose lease has expired, e.g. after a crash. Keep it well above `publish.timeoutMs`.
     * @default 30000
     */
    leaseMs: 30_000,
    /**
     * The relay looks for rows at least this often (a local commit through `Outbox.transaction`
     * wakes it at once); at most 500 so a row written by another replica is found within half a second.
     * @default 500
     */
    pollMs: 500,
    /**
     * Attempts of a row that cannot be published (unroutable, nacked, too large) before it moves to `warren_outbox_dead`.
     * @default 10
     */
    maxAttempts: 10,
    /**
     * Delay before a failed row's second attempt, doubling per attempt up to `outbox.retryMaxMs`.
     * @default 1000
     */
    retryBaseMs: 1_000,
    /**
     * Longest delay between a failed row's attempts (at least `outbox.retryBaseMs`).
     * @default 300000
     */
    retryMaxMs: 300_000,
    /**
     * Inbox rows older than this are pruned (a redelivery after it would run its effects again).
     * @default 604800000 (7 days)
     */
    inboxRetentionMs: 7 * 24 * 3600 * 1000,
    /**
     * High watermark of pending rows: above it `Outbox.publish` refuses with OutboxFullError (503).
     * Read from the relay's count (at most a second old), not counted per call.
     * @default 1000000
     */
    maxPending: 1_000_000,
    /**
     * High watermark of the oldest pending row's age, in ms: above it `Outbox.publish` refuses too.
     * @default 3600000 (1 hour)
     */
    maxPendingAgeMs: 3_600_000,
    /**
     * Set false for a replica that writes the outbox but never relays it. A relaying replica opens 2
     * PostgreSQL connections of its own besides the app's pool (same settings), so that its claims never
     * wait behind the app's transactions.
     * @default true
     */
    relay: true,
  },
};

/** TLS settings for `amqps://` URLs. The server certificate is always verified. */
export interface TlsOptions {
  /** PEM file of the CA that signed the broker's certificate (else the system CAs). */
  caFile?: string;
  /** PEM client certificate, for brokers that require one. */
  certFile?: string;
  /** PEM private key of the client certificate. */
  keyFile?: string;
  /** Name to verify the broker certificate against; defaults to the URL's host. */
  servername?: string;
}

/** Consumption pauses above this share of the memory limit (container or heap)... */
export const MEMORY_HIGH_WATERMARK_RATIO = 0.7;
/** ...and resumes below this share: the gap (hysteresis) stops it flapping. */
export const MEMORY_LOW_WATERMARK_RATIO = 0.55;
