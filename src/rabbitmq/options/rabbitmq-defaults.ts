import type { Compression } from '../codec/compression.js';
import { JSON_MAX_DEPTH } from '../codec/json.codec.js';
import type { MessageCodec } from '../codec/message-codec.interface.js';
import type { MemoryMeasure } from '../flow/memory-limit.js';
import { MAX_TIMER_MS } from '../rabbitmq.constants.js';

/** Queue type for handler queues. */
export type QueueType = 'quorum' | 'classic';

/**
 * Every option's default, in one literal spread under the options given to `forRoot`
 * (`{ ...RABBITMQ_DEFAULTS, ...options }`, resolve-options.ts). The option types derive from it, so
 * what a field means, its default and why that default is said once, here. Integer bounds are in
 * INTEGER_BOUNDS below; the other checks in check-options.ts.
 */
export const RABBITMQ_DEFAULTS = {
  /**
   * Topic exchange events are published to; routing key = event pattern.
   * @default 'warren.events'
   */
  exchange: 'warren.events',
  /**
   * Unacked deliveries per handler queue; a handler may override it. Never unbounded: with
   * prefetch 0 the broker pushes the whole backlog into the process, which is how Nest's built-in
   * transport runs out of memory. Capped so every queue's window of `maxMessageBytes` bodies fits
   * `maxInFlightBytes`, and 1 until the queue's first body within `maxMessageBytes`.
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
   * Largest body published or consumed, in bytes: 256 KiB, the limit of SQS, SNS and EventBridge
   * (RabbitMQ's own 128 MiB in a Node process is an outage). Set the broker's `max_message_size` to
   * the same value: a larger body is still delivered (then parked as MessageTooLargeError).
   * @default 262144 (256 KiB)
   */
  maxMessageBytes: 256 * 1024,
  /**
   * Deadline for a publish's confirm, in ms (waiting for a usable channel included). Past it the
   * caller gets PublishOutcomeUnknownError when the publish was written (504) or PublishTimeoutError
   * when it never was (503), never a hanging request.
   * @default 5000
   */
  publishTimeoutMs: 5_000,
  /**
   * While the publisher connection is down, a publish waits at most this long for it, writing
   * nothing (503 well under a second); a publish written just before the broker blocked us waits
   * this long after the block for its confirm, then answers 504. In ms.
   * @default 250
   */
  publishFailFastMs: 250,
  /**
   * Confirms have stalled when the oldest unconfirmed publish is this old, in ms: readiness fails
   * and new publishes are refused at once (503) until the broker answers again. A healthy broker
   * confirms in milliseconds, so 2 s only trips on a hung broker, well before `publishTimeoutMs`.
   * @default 2000
   */
  confirmStallMs: 2_000,
  /**
   * Unconfirmed publishes held at once (in flight plus buffered while disconnected or blocked);
   * beyond it a publish fails at once with PublishBufferFullError (503).
   * @default 1000
   */
  maxPendingPublishes: 1_000,
  /**
   * Bytes of unconfirmed publishes held at once, for the same reason as `maxPendingPublishes`.
   * @default 16777216 (16 MiB)
   */
  maxPendingPublishBytes: 16 * 1024 * 1024,
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
   * Longest reconnect backoff, in ms (at least `reconnectBaseMs`): how long the service may take to
   * notice the broker is back. 1 s: back within ~2 s of the broker's return whatever the outage
   * length (a 30 s cap kept every POST at 503 for up to 30 s with a healthy broker), at most 2
   * attempts a second per connection.
   * @default 1000
   */
  reconnectMaxMs: 1_000,
  /** TLS for `amqps://` URLs: CA, client certificate and key read from files. */
  tls: {} as TlsOptions,
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
   * Default wait of `client.request()` / `send()` for a reply, in ms; also the request's
   * `expiration`, so nobody works on a request its caller gave up. A caller (an HTTP request)
   * rarely waits longer than a few seconds for a lookup.
   * @default 5000
   */
  requestTimeoutMs: 5_000,
  /**
   * Requests awaiting a reply at once; beyond it a request fails at once (503). Pending replies are
   * small: the bound is about failing fast when the responder is gone, not memory.
   * @default 1000
   */
  maxRequestsInFlight: 1_000,
  /**
   * Most requests waiting in each request queue (`x-max-length`); beyond it the oldest go
   * (`x-overflow: drop-head`): they are the ones whose callers are about to time out. Far above
   * what responders clear within a request timeout, far below what would fill the broker's memory
   * when they stop. A request queue made before the bound keeps working as it is (start-up log).
   * @default 10000
   */
  requestQueueMaxLength: 10_000,
  /**
   * Queues a request's `replyTo` may name besides direct reply-to (`amq.rabbitmq.reply-to.*`, what
   * warren's and Nest's clients use). A reply to any other address is dropped and counted in
   * `warren_replies_dropped_total`: a requester must not make the service deliver into a queue of its choosing.
   * @default []
   */
  allowedReplyQueues: [] as string[],
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
   * Copies of unroutable publishes kept in `<exchange>.unrouted`, oldest dropped first; 0 = none
   * (still counted in `warren_publishes_unrouted_total` and logged).
   * @default 10000
   */
  unroutedMaxLength: 10_000,
  /**
   * How long a copy stays in `<exchange>.unrouted`, in ms: a week to notice and replay it.
   * @default 604800000 (7 days)
   */
  unroutedTtlMs: 7 * 24 * 60 * 60 * 1000,
  /**
   * An unroutable routing key is logged at most once per this interval, in ms (every one is
   * still counted), so a misrouted producer cannot flood the log.
   * @default 60000
   */
  unroutedLogIntervalMs: 60_000,
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
  /**
   * Bytes of message bodies in flight (delivered, not settled) across all queues; consumption
   * pauses above it. Prefetch bounds the count, this the bytes (200 × 4 MB at prefetch 50 is
   * 800 MB). A body in flight costs ~3× its size in RSS once decoded: 16 MiB is ~50 MB at worst.
   * @default 16777216 (16 MiB)
   */
  maxInFlightBytes: 16 * 1024 * 1024,
  /**
   * Memory (see `memoryMeasure`) above which consumption pauses.
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
  flowCheckIntervalMs: 250,
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
  readinessMaxQueueDepth: 0,
  /**
   * Codec of published messages: 'json', 'msgpack', or the content type of a codec in `codecs`.
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
   * How bodies of at least `compressThresholdBytes` are compressed on publish (`content-encoding`):
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

/** Highest prefetch: above it the count no longer bounds memory usefully. */
export const MAX_PREFETCH = 10_000;

/** Consumption pauses above this share of the memory limit (container or heap)... */
export const MEMORY_HIGH_WATERMARK_RATIO = 0.7;
/** ...and resumes below this share: the gap (hysteresis) stops it flapping. */
export const MEMORY_LOW_WATERMARK_RATIO = 0.55;

/** Bounds of an integer option (inclusive); `note` says what a special value means. */
export interface IntegerBound {
  readonly min: number;
  readonly max?: number;
  readonly note?: string;
}

/** Bounds of every integer option, by path; checked by check-options.ts. Durations stop at MAX_TIMER_MS. */
export const INTEGER_BOUNDS = {
  prefetch: { min: 1, max: MAX_PREFETCH, note: '0 would mean unbounded' },
  maxMessageBytes: { min: 1 },
  publishTimeoutMs: { min: 100, max: 60_000 },
  publishFailFastMs: { min: 1, max: MAX_TIMER_MS },
  confirmStallMs: { min: 1, max: 60_000 },
  maxPendingPublishes: { min: 1 },
  maxPendingPublishBytes: { min: 1 },
  heartbeatSeconds: { min: 1 },
  connectTimeoutMs: { min: 100, max: MAX_TIMER_MS },
  reconnectBaseMs: { min: 1, max: MAX_TIMER_MS },
  reconnectMaxMs: { min: 1, max: MAX_TIMER_MS },
  shutdownGraceMs: { min: 0, max: MAX_TIMER_MS },
  handlerTimeoutMs: { min: 1, max: MAX_TIMER_MS },
  requestTimeoutMs: { min: 1, max: MAX_TIMER_MS },
  maxRequestsInFlight: { min: 1 },
  requestQueueMaxLength: { min: 1 },
  deliveryLimit: { min: 1 },
  deadLetterMaxLength: { min: 0, note: '0 = unbounded' },
  unroutedMaxLength: { min: 0, note: '0 = keep no copies' },
  unroutedTtlMs: { min: 1, max: MAX_TIMER_MS },
  unroutedLogIntervalMs: { min: 1, max: MAX_TIMER_MS },
  'killSwitch.window': { min: 1, max: 10_000 },
  'killSwitch.cooldownMs': { min: 1, max: MAX_TIMER_MS },
  maxInFlightBytes: { min: 1 },
  memoryHighWatermarkBytes: { min: 1 },
  eventLoopDelayLimitMs: { min: 1, max: MAX_TIMER_MS },
  flowCheckIntervalMs: { min: 1, max: MAX_TIMER_MS },
  stuckConsumerMs: { min: 1, max: MAX_TIMER_MS },
  readinessMaxQueueDepth: { min: 0, note: '0 = no limit' },
  compressThresholdBytes: { min: 1 },
  maxJsonDepth: { min: 1, max: 10_000 },
} satisfies Record<string, IntegerBound>;
