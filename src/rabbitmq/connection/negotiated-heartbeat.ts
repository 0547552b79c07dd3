/**
 * The heartbeat asked of the broker for `connection.heartbeatSeconds`: half of it, at least 1 s. amqplib checks once per negotiated interval for bytes from the broker and gives
 * up after two silent checks in a row, i.e. 2 to 3 intervals after the broker froze: with the
 * configured value itself that was 20–30 s for 10 s (26.8 s measured). With half, a dead connection
 * is found within 2 × `connection.heartbeatSeconds` (10–15 s for 10 s) even on an idle service. The cost: an
 * idle connection gets a 8-byte heartbeat frame each way every quarter of `connection.heartbeatSeconds`, and
 * the broker closes a connection whose process stalled its event loop for `connection.heartbeatSeconds`.
 */
export function negotiatedHeartbeatSeconds(heartbeatSeconds: number): number {
  return Math.max(1, Math.floor(heartbeatSeconds / 2));
}
