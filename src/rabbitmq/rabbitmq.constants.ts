/**
 * Defaults for every bound and name the transport uses. Each has a reason: a transport that is
 * safe by default must not rely on the user to pick a sane number.
 */

/** Topic exchange every event is published to; routing key = event pattern. */
export const DEFAULT_EVENTS_EXCHANGE = 'warren.events';

/**
 * Unacked deliveries per handler queue. Bounded (never 0 = unlimited): with prefetch 0 the
 * broker pushes the whole backlog into the process, which is how the built-in transport OOMs.
 */
export const DEFAULT_PREFETCH = 50;

/** Upper limit accepted for prefetch: above this the count no longer bounds memory usefully. */
export const MAX_PREFETCH = 10_000;

/** setTimeout fires after 1 ms for anything longer (Node clamps delays above 2^31 - 1 ms). */
export const MAX_TIMER_MS = 2_147_483_647;

/** Quorum queues replicate and carry a delivery limit, the crash-loop backstop. */
export const DEFAULT_QUEUE_TYPE = 'quorum';

/**
 * Largest message body we publish or accept. RabbitMQ's own default max is 128 MiB; a message
 * that large in a Node process is an outage, so we refuse far earlier: 256 KiB, the limit of
 * SQS, SNS and EventBridge, is plenty for an event (and equals the HTTP body limit).
 */
export const DEFAULT_MAX_MESSAGE_BYTES = 256 * 1024;

/**
 * How long a publish may wait for the broker's confirm (including time spent waiting for a
 * usable channel). Past it the caller gets PublishOutcomeUnknownError when the publish was
 * written (HTTP 504) or PublishTimeoutError when it never was (503), never a hanging request.
 */
export const DEFAULT_PUBLISH_TIMEOUT_MS = 5_000;

/** Heartbeats detect a dead TCP peer that never sends a FIN (frozen network, dead host). */
export const DEFAULT_HEARTBEAT_SECONDS = 10;

/**
 * Reconnect backoff: attempt n waits a random time in [c/2, c], c = min(max, base × 2^n) ("equal
 * jitter"), so a fleet of pods that lost the broker together does not reconnect in lockstep. The
 * cap is 1 s: back within ~2 s of the broker's return whatever the outage length (a 30 s cap kept
 * every POST at 503 for up to 30 s with a healthy broker), at most 2 attempts a second per
 * connection.
 */
export const DEFAULT_RECONNECT_BASE_MS = 500;
export const DEFAULT_RECONNECT_MAX_MS = 1_000;

/**
 * The reconnect backoff starts over once every channel of the connection is set up again, or
 * after the connection has stayed up this long. Resetting on every TCP connect let a connection
 * that opens and then fails at once (a declare meeting a 406) retry at the base delay forever:
 * 77 reconnects in 20 s.
 */
export const CONNECTION_STABLE_MS = 10_000;

/** On shutdown, how long in-flight handlers may keep running before their messages are requeued. */
export const DEFAULT_SHUTDOWN_GRACE_MS = 10_000;

/**
 * Longest a handler may run before its delivery counts as a (retryable) failure. Well below
 * RabbitMQ's consumer timeout (30 min), which would close the whole channel instead.
 */
export const DEFAULT_HANDLER_TIMEOUT_MS = 30_000;
/** A caller (an HTTP request) rarely waits longer than a few seconds for a lookup. */
export const DEFAULT_REQUEST_TIMEOUT_MS = 5_000;
/** Pending replies are small map entries; the bound is about failing fast when the responder is gone, not memory. */
export const DEFAULT_MAX_REQUESTS_IN_FLIGHT = 1_000;
/**
 * Requests a request queue holds (`x-max-length`); beyond it the oldest go (`drop-head`): they
 * are the ones whose callers are about to give up. Far above what responders clear within a
 * request timeout, far below what would fill the broker's memory when they stop.
 */
export const DEFAULT_REQUEST_QUEUE_MAX_LENGTH = 10_000;

/**
 * Deliveries of one message a quorum queue allows before the broker dead-letters it: the
 * backstop for a message that crashes the process before it can be settled.
 */
export const DEFAULT_DELIVERY_LIMIT = 20;

/**
 * Dead letters a `.dlq` holds before the broker refuses more (reject-publish, never dropping
 * one). Enough for a long incident; small enough that a forgotten DLQ cannot fill the broker's
 * disk and raise the alarm that blocks every publisher.
 */
export const DEFAULT_DEAD_LETTER_MAX_LENGTH = 100_000;

/** Copies of unroutable events kept in `<exchange>.unrouted`; the oldest go first beyond it. */
export const DEFAULT_UNROUTED_MAX_LENGTH = 10_000;

/** How long a copy of an unroutable event is kept: a week to notice and replay it, then it expires. */
export const DEFAULT_UNROUTED_TTL_MS = 7 * 24 * 60 * 60 * 1000;

/** Kill switch: outcomes remembered per queue. */
export const DEFAULT_KILL_SWITCH_WINDOW = 20;
/** Kill switch: trips when at least this share of the window failed (and the window is full). */
export const DEFAULT_KILL_SWITCH_FAILURE_RATIO = 0.5;
/** Kill switch: how long a tripped queue's consumer stays paused before a trial. */
export const DEFAULT_KILL_SWITCH_COOLDOWN_MS = 30_000;

/**
 * Bytes of message bodies in flight (delivered, not yet settled) across all queues of the
 * process. Prefetch bounds the count; this bounds the bytes, which is what kills a process
 * when messages are large (200 × 4 MB with prefetch 50 is 800 MB). A message in flight costs
 * about 3× its body in RSS (the body, its decoded copy, and the transient frames and string of
 * decoding), so 16 MiB of bodies is ~50 MB of memory at worst; with the default
 * maxMessageBytes it still allows a prefetch of 64 on one queue.
 */
export const DEFAULT_MAX_IN_FLIGHT_BYTES = 16 * 1024 * 1024;

/** Consumption pauses when RSS passes this share of the memory limit (container or heap)... */
export const MEMORY_HIGH_WATERMARK_RATIO = 0.7;
/** ...and resumes below this share: the gap (hysteresis) stops it flapping. */
export const MEMORY_LOW_WATERMARK_RATIO = 0.55;

/** An event loop this late (p99 over one check interval) is overloaded: stop taking work. */
export const DEFAULT_EVENT_LOOP_DELAY_LIMIT_MS = 1_000;

/** How often memory and event-loop delay are checked. */
export const DEFAULT_FLOW_CHECK_INTERVAL_MS = 250;

/** Unconfirmed publishes held at once (in flight plus buffered while disconnected or blocked). */
export const DEFAULT_MAX_PENDING_PUBLISHES = 1_000;
/** Bytes of unconfirmed publishes held at once. */
export const DEFAULT_MAX_PENDING_PUBLISH_BYTES = 16 * 1024 * 1024;

/**
 * While the publisher connection is down, a publish waits at most this long for it, writing
 * nothing (HTTP callers get a 503 well under a second); a publish written just before the broker
 * started blocking us waits this long after the block for its confirm, then answers 504.
 */
export const DEFAULT_PUBLISH_FAIL_FAST_MS = 250;

/**
 * Age of the oldest unconfirmed publish at which confirms count as stalled (a hung broker):
 * far above a healthy confirm (ms), well below the publish timeout and heartbeat detection.
 */
export const DEFAULT_CONFIRM_STALL_MS = 2_000;

/**
 * After the broker nacks a publish, the publisher moves to a fresh confirm channel — at most
 * once per this interval. Why a new channel: RabbitMQ 3.10 keeps per-channel state for each
 * quorum queue a channel publishes to, and a channel that first publishes to a queue while the
 * queue's recorded leader is on a node that just died keeps aiming at that node: every publish
 * to that queue is nacked, long after a new leader took over (rabbit_fifo_client:enqueue/3
 * returns `{badrpc, nodedown}` as reject_publish and keeps its state). A new channel starts from
 * the current leader. The interval bounds the churn when nacks have another cause (a queue at its
 * length limit with `reject-publish`), and lets a leader election finish before the next try.
 */
export const PUBLISH_CHANNEL_RENEW_INTERVAL_MS = 1_000;

/**
 * Readiness reports a consumer stuck when its queue has work, it is consuming, and nothing was
 * settled for this long (handlers hung beyond their timeout, or settlement blocked).
 */
export const DEFAULT_STUCK_CONSUMER_MS = 60_000;

/** Error messages are truncated in headers: a header table over 64 KiB cannot be encoded. */
export const MAX_ERROR_MESSAGE_LENGTH = 1_000;

/** Error types (an error's name) are cut here: real ones are class names, a few dozen characters. */
export const MAX_ERROR_TYPE_LENGTH = 128;

export const JSON_CONTENT_TYPE = 'application/json';

/**
 * Deepest nesting of arrays and objects a consumed JSON body may have (the top-level value is
 * depth 1). Checked by one iterative scan before JSON.parse: class-transformer, class-validator
 * and most handler code walk payloads recursively, and a 256 KiB body can nest 131,000 levels,
 * which overflows their stack. Real events nest a handful of levels.
 */
export const DEFAULT_MAX_JSON_DEPTH = 64;

/** Content type warren writes for MessagePack (msgpackr) bodies. */
export const MSGPACK_CONTENT_TYPE = 'application/msgpack';
/** The older, unregistered name many MessagePack clients still send; accepted on consume. */
export const MSGPACK_LEGACY_CONTENT_TYPE = 'application/x-msgpack';

/**
 * Codec of published messages. JSON by default: every AMQP client (Go, Python, the CLI, an
 * operator peeking at a DLQ) can read it; MessagePack is opt-in per module or per publish.
 */
export const DEFAULT_CODEC = 'json';

/**
 * Large bodies are compressed by default (DESIGN.md, strategy 2), with gzip: the encoding every
 * AMQP client's language can undo (Go compress/gzip, Python gzip, Java GZIPInputStream).
 */
export const DEFAULT_COMPRESSION = 'gzip';

/**
 * Encoded bodies of at least 64 KiB are compressed. Below it compression buys little (a typical
 * event of 1–10 KB) and costs a thread-pool round trip on publish and consume; above it JSON and
 * MessagePack usually shrink 3–10×, which is broker memory, disk and quorum replication traffic
 * (each body is written to 3 nodes) saved, for ~1 ms of off-loop zlib time per 64 KiB.
 */
export const DEFAULT_COMPRESS_THRESHOLD_BYTES = 64 * 1024;

/** DI token of the resolved (defaults merged, validated) options. */
export const RABBITMQ_RESOLVED_OPTIONS = Symbol('RABBITMQ_RESOLVED_OPTIONS');
