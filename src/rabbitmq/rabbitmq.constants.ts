/**
 * Fixed names and limits of the transport that are not options (the options and their defaults
 * are in options/rabbitmq-defaults.ts). Each has a reason.
 */

/** setTimeout fires after 1 ms for anything longer (Node clamps delays above 2^31 - 1 ms). */
export const MAX_TIMER_MS = 2_147_483_647;

/**
 * The reconnect backoff starts over once every channel of the connection is set up again, or
 * after the connection has stayed up this long. Resetting on every TCP connect let a connection
 * that opens and then fails at once (a declare meeting a 406) retry at the base delay forever:
 * 77 reconnects in 20 s.
 */
export const CONNECTION_STABLE_MS = 10_000;

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

/** Error messages are truncated in headers: a header table over 64 KiB cannot be encoded. */
export const MAX_ERROR_MESSAGE_LENGTH = 1_000;

/** Error types (an error's name) are cut here: real ones are class names, a few dozen characters. */
export const MAX_ERROR_TYPE_LENGTH = 128;

export const JSON_CONTENT_TYPE = 'application/json';

/** Content type warren writes for MessagePack (msgpackr) bodies. */
export const MSGPACK_CONTENT_TYPE = 'application/msgpack';
/** The older, unregistered name many MessagePack clients still send; accepted on consume. */
export const MSGPACK_LEGACY_CONTENT_TYPE = 'application/x-msgpack';

/** DI token of the resolved (defaults merged, validated) options. */
export const RABBITMQ_RESOLVED_OPTIONS = Symbol('RABBITMQ_RESOLVED_OPTIONS');
