import type { FlowPauseReason } from '../flow/flow-control.js';
import type { KillSwitchState } from './kill-switch.js';

/** Why a consumer is not taking deliveries. */
export type PauseReason = 'kill-switch' | 'dead-letter-queue-full' | 'shutdown' | 'handoff' | FlowPauseReason;

export interface QueueConsumerStatus {
  queue: string;
  /** The largest window: the handler's prefetch capped by the byte budget. */
  prefetch: number;
  /** Deliveries the queue may have in flight now: 1 at start and after a body over maxMessageBytes, else `prefetch`. */
  window: number;
  /** Prefetch of the live consumer (what the broker may send it); 0 while not consuming. */
  consumerPrefetch: number;
  /** The channel is open with the topology declared (and the consumer attached unless paused). */
  attached: boolean;
  consuming: boolean;
  pausedFor: PauseReason[];
  killSwitch: KillSwitchState;
  inFlight: number;
  /** Deliveries running the handler now (at most the handler's `concurrency`). */
  running: number;
  /**
   * A single-active-consumer queue (ordered handler): on a standby replica the broker sends nothing
   * while the queue has messages, so a ready backlog alone does not mean this consumer is stuck.
   */
  ordered: boolean;
  /** This replica is the active consumer of a single-active-consumer queue (a delivery came since it subscribed). */
  holding: boolean;
  /** Where its messages are parked (`<queue>.dlq`, a partition's: its handler's); undefined for a request queue. */
  deadLetterQueue: string | undefined;
  /** Epoch ms of the last settlement, or of when consuming started if nothing was settled since. */
  lastProgressAt: number;
}
