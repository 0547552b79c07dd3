import type { Delivery } from './channel-acknowledger.js';
import type { KillSwitchState } from './kill-switch.js';

/**
 * What a QueueConsumer hands its deliveries to: the DeliverySettler (runs the handler, settles by
 * its outcome) or, for a handler ordered by key, the PartitionRouter (forwards each to its partition).
 */
export interface DeliveryHandling {
  /** Undefined when the delivery was settled synchronously, else a promise that never rejects. */
  handle(delivery: Delivery): Promise<void> | undefined;
  /** The consumer stops: nothing may wait long any more (backoffs end early). */
  stop(): void;
  /** Deliveries being worked on now. */
  readonly running: number;
  readonly killSwitchState: KillSwitchState;
  /** Epoch ms of the last settlement, or of when consuming started. */
  readonly lastProgressAt: number;
  /** Counts as progress (a consumer just started). */
  progressed(): void;
}
