/** Defaults of the dead-letter tooling (see DeadLetterAdmin). */

/** Messages `peek` shows when the caller gives no limit. */
export const DEFAULT_PEEK_LIMIT = 10;

/**
 * Most messages one `peek` holds unacked. Peeking is for reading; past this an operator wants a
 * dump tool, and the broker would keep that many deliveries outstanding on one channel.
 */
export const MAX_PEEK_LIMIT = 1_000;

/** Body bytes shown per peeked message: enough to recognise it, small enough for a terminal. */
export const PEEK_BODY_PREVIEW_BYTES = 2 * 1024;

/**
 * Longest replay waits for the broker to confirm one copy. A blocked broker (memory alarm)
 * never confirms; the replay must then stop with the message still parked, not hang.
 */
export const DEFAULT_REPLAY_CONFIRM_TIMEOUT_MS = 10_000;
