import type { RetryPolicy } from '../failure/retry-policy.js';
import type { CodecName } from '../codec/codec-registry.js';
import type { Compression } from '../codec/compression.js';
import type { MessageCodec } from '../codec/message-codec.interface.js';
import type { MemoryMeasure } from '../flow/memory-limit.js';
import type { TableOptionName } from './module-option-table.js';
import type { OutboxOptions, ResolvedOutboxOptions } from './outbox-options.js';

/** Queue type for handler queues. */
export type QueueType = 'quorum' | 'classic';

/** Every integer option of MODULE_OPTION_TABLE (documented there, with its default and bounds). */
export type TableOptions = Partial<Record<TableOptionName, number>>;

/**
 * Options of RabbitMQModule.forRoot / forRootAsync. Only `urls` and `serviceName` are required.
 * An option added to MODULE_OPTION_TABLE is part of this type (and of the resolved options) at once.
 */
export interface RabbitMQModuleOptions extends TableOptions {
  /** Broker URLs, tried in turn (cluster nodes). Credentials are never logged. */
  urls: string[];
  /** Name of this service: prefix of its queue names and of its connection names. */
  serviceName: string;
  /**
   * Topic exchange events are published to.
   * @default 'warren.events'
   */
  exchange?: string;
  /**
   * Unacked deliveries per handler queue; a handler may override it with `prefetch`. Capped so
   * that every queue's window of `maxMessageBytes` bodies fits `maxInFlightBytes`; the window is 1
   * until the queue's first body within `maxMessageBytes` and again after any body over it (the
   * broker delivers bodies up to its own `max_message_size` before they can be refused).
   * @default 50
   */
  prefetch?: number;
  /**
   * Type of handler queues (and their dead-letter queues).
   * @default 'quorum'
   */
  queueType?: QueueType;
  /**
   * Largest body published or consumed, in bytes. Set the broker's `max_message_size` to the same
   * value: a larger body is still delivered by the broker (then parked as MessageTooLargeError).
   * @default 262144 (256 KiB)
   */
  maxMessageBytes?: number;
  /**
   * Deadline for a publish to be confirmed, in ms.
   * @default 5000
   */
  publishTimeoutMs?: number;
  /**
   * A connection whose broker went silent (frozen, a dead host, a black-holed network) is found
   * dead within twice this, in seconds: the heartbeat negotiated with the broker is half of it
   * (see negotiatedHeartbeatSeconds).
   * @default 10
   */
  heartbeatSeconds?: number;
  /**
   * First reconnect backoff step, in ms; attempt n waits random(c/2, c), c = min(reconnectMaxMs, base × 2^n).
   * @default 500
   */
  reconnectBaseMs?: number;
  /**
   * Longest reconnect backoff, in ms: how long the service may take to notice the broker is back.
   * @default 1000
   */
  reconnectMaxMs?: number;
  /** TLS for amqps:// URLs: CA, client certificate and key read from files. */
  tls?: TlsOptions;
  /**
   * How long in-flight handlers may run on shutdown before their messages are requeued, in ms.
   * @default 10000
   */
  shutdownGraceMs?: number;
  /**
   * Retries of a failing handler (retryable errors only), overridable per handler with `@Retry`.
   * @default { attempts: 5, delaysMs: [1000, 5000, 30000, 120000, 600000] }
   */
  retry?: RetryPolicy;
  /**
   * Longest a handler may run; past it the delivery is a retryable failure, in ms.
   * @default 30000
   */
  handlerTimeoutMs?: number;
  /**
   * Default time `client.request()` / `send()` waits for a reply, in ms; also the request's
   * `expiration`, so nobody works on a request its caller gave up. Override per call.
   * @default 5000
   */
  requestTimeoutMs?: number;
  /**
   * Requests awaiting a reply at once; beyond it a request fails at once (RequestsInFlightExceededError)
   * instead of piling up while a responder is slow or gone.
   * @default 1000
   */
  maxRequestsInFlight?: number;
  /**
   * Most requests waiting in each request queue (`x-max-length`); beyond it the oldest are
   * dropped (`x-overflow: drop-head`), as their callers are about to time out. A request queue
   * made before the bound keeps working as it is (see the start-up log).
   * @default 10000
   */
  requestQueueMaxLength?: number;
  /**
   * Queues a request's `replyTo` may name besides direct reply-to (`amq.rabbitmq.reply-to.*`,
   * what warren's and Nest's clients use). A reply to any other address is dropped and counted in
   * `warren_replies_dropped_total`: a requester must not make the service deliver into a queue
   * of its choosing.
   * @default []
   */
  allowedReplyQueues?: string[];
  /**
   * Deliveries of one message before a quorum queue dead-letters it (crash-loop backstop).
   * Fixed when the queue is first declared.
   * @default 20
   */
  deliveryLimit?: number;
  /**
   * Most messages a dead-letter queue holds (`x-max-length`). When it is full the broker refuses
   * further dead letters (`x-overflow: reject-publish`): a message that cannot be parked stays
   * in its handler queue and that queue's consumer pauses — a dead letter is never dropped.
   * 0 = unbounded. Queues made before the bound keep theirs (see the start-up log).
   * @default 100000
   */
  deadLetterMaxLength?: number;
  /**
   * Most events kept in `<exchange>.unrouted` (copies of publishes no queue was bound for); the
   * oldest go first when it is full (`drop-head`). 0 = keep no copies (they are still counted
   * in `warren_publishes_unrouted_total` and logged).
   * @default 10000
   */
  unroutedMaxLength?: number;
  /**
   * How long an event stays in `<exchange>.unrouted`, in ms (`x-message-ttl`).
   * @default 604800000 (7 days)
   */
  unroutedTtlMs?: number;
  /** @default { window: 20, failureRatio: 0.5, cooldownMs: 30000, enabled: true } */
  killSwitch?: KillSwitchOptions;
  /**
   * Bytes of message bodies in flight across all queues; consumption pauses above it, and each
   * queue's prefetch is capped so that prefetch × maxMessageBytes fits in it. Each byte of
   * body in flight costs about 3 bytes of RSS once decoded.
   * @default 16777216 (16 MiB)
   */
  maxInFlightBytes?: number;
  /**
   * Memory (see `memoryMeasure`) above which consumption pauses.
   * @default 70% of the container memory limit (process.constrainedMemory()) or else of the V8 heap limit
   */
  memoryHighWatermarkBytes?: number;
  /**
   * Memory (see `memoryMeasure`) below which paused consumption resumes.
   * @default 55% of the same limit
   */
  memoryLowWatermarkBytes?: number;
  /**
   * What the memory watermarks are compared with: 'rss', or 'heap' (V8's used heap).
   * @default 'heap' when the watermarks derive from the V8 heap limit (no container limit, none given); else 'rss'
   */
  memoryMeasure?: MemoryMeasure;
  /**
   * Event-loop delay (p99 over a check interval) above which consumption pauses, in ms.
   * @default 1000
   */
  eventLoopDelayLimitMs?: number;
  /**
   * How often memory and event-loop delay are checked, in ms.
   * @default 250
   */
  flowCheckIntervalMs?: number;
  /**
   * Unconfirmed publishes held at once; a publish beyond it fails at once with PublishBufferFullError.
   * @default 1000
   */
  maxPendingPublishes?: number;
  /**
   * Bytes of unconfirmed publishes held at once.
   * @default 16777216 (16 MiB)
   */
  maxPendingPublishBytes?: number;
  /**
   * How long a publish may wait for the publisher connection while it is down (nothing is written
   * meanwhile: 503), and for its confirm once the broker blocks us after the write (then 504), in ms.
   * @default 250
   */
  publishFailFastMs?: number;
  /**
   * Confirms have stalled when the oldest unconfirmed publish is this old, in ms: readiness goes
   * down and new publishes are refused at once (503, nothing sent) until the broker answers again
   * (or the connection is replaced). A healthy broker confirms in milliseconds (tens under heavy
   * load), so 2 s only trips on a hung or frozen broker, yet comes well before `publishTimeoutMs`
   * and the heartbeat (within 2 × `heartbeatSeconds`) would notice. Publishes whose caller already
   * got "outcome unknown" still count until the broker answers them.
   * @default 2000
   */
  confirmStallMs?: number;
  /**
   * Readiness fails when a consuming queue has work and nothing was settled for this long, in ms.
   * @default 60000
   */
  stuckConsumerMs?: number;
  /**
   * Readiness fails when a consumed queue holds more ready messages than this; 0 = no limit.
   * @default 0
   */
  readinessMaxQueueDepth?: number;
  /**
   * Codec of published messages: 'json', 'msgpack', or the content type of a codec in `codecs`.
   * A publish may choose another (`publish(pattern, data, { codec })`). Consuming does not
   * depend on it: each message is decoded by its own content-type.
   * @default 'json'
   */
  codec?: CodecName | (string & {});
  /**
   * Extra codecs (e.g. protobuf), known by their content type for publishing and consuming. One
   * with the content type of a built-in (JSON, MessagePack) replaces it.
   * @default []
   */
  codecs?: MessageCodec[];
  /**
   * How bodies of at least `compressThresholdBytes` are compressed on publish, marked with
   * `content-encoding`; 'none' never compresses. Consumers undo gzip and deflate whatever this says.
   * @default 'gzip'
   */
  compression?: Compression;
  /**
   * Encoded bodies at least this large are compressed (when `compression` is not 'none').
   * `maxMessageBytes` applies to the body before compression as well as on the wire.
   * @default 65536 (64 KiB)
   */
  compressThresholdBytes?: number;
  /**
   * Deepest nesting of arrays and objects a consumed JSON body may have; a deeper one is parked at
   * once as a DecodeError, before any recursive code (validation, handlers) could overflow the stack.
   * @default 64
   */
  maxJsonDepth?: number;
  /**
   * The transactional outbox and inbox on PostgreSQL (`Outbox`, `Inbox`, a relay in every
   * replica; docs/outbox.md). Absent: no database is used.
   */
  outbox?: OutboxOptions;
}

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

/** Pauses a queue whose handler keeps failing, so a dead downstream does not drain it into the DLQ. */
export interface KillSwitchOptions {
  /**
   * Outcomes remembered per queue.
   * @default 20
   */
  window?: number;
  /**
   * Share of failures in a full window that trips the switch, from 0 (exclusive) to 1.
   * @default 0.5
   */
  failureRatio?: number;
  /**
   * Pause before the consumer resumes on trial, in ms.
   * @default 30000
   */
  cooldownMs?: number;
  /**
   * Set false to never pause.
   * @default true
   */
  enabled?: boolean;
}

/** Options after defaults are merged and validated. */
export type ResolvedRabbitMQOptions = Required<Omit<RabbitMQModuleOptions, 'killSwitch' | 'tls' | 'outbox'>> & {
  killSwitch: Required<KillSwitchOptions>;
  tls: TlsOptions;
  outbox?: ResolvedOutboxOptions;
};
