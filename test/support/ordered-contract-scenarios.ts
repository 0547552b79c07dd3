import { Controller, Injectable } from '@nestjs/common';
import { Ctx, Payload } from '@nestjs/microservices';
import { IsInt, IsString } from 'class-validator';
import { HandleEvent, RabbitContext, Retry } from '../../src/rabbitmq/index.js';
import type { HandlerResult } from '../../src/rabbitmq/testing/index.js';

/**
 * The ordered scenarios of the harness/broker contract: a few entries published back to back to
 * an ordered handler, some failing, run once through `warren/testing` and once through the real
 * broker. Both must call the handler in the same order, retry in place with the same delays and
 * settle each entry the same way.
 */
export const ORDERED_PATTERN = 'contract-ordered.entry';
/** Short: on the broker the in-place retries really wait them. */
export const ORDERED_RETRY = { attempts: 2, delaysMs: [100, 200] };
/** An entry that fails this many times fails every attempt. */
export const ALWAYS = 99;

export class OrderedEntry {
  @IsString()
  run!: string;

  @IsInt()
  seq!: number;

  /** How many attempts fail before one succeeds. */
  @IsInt()
  failures!: number;
}

/** What the ordered handler did, in order, so both runs can compare it. */
@Injectable()
export class OrderedCalls {
  /** Every invocation as `seq/retryCount`. */
  readonly calls: string[] = [];
  /** Entries in the order they succeeded. */
  readonly completed: number[] = [];

  clear(): void {
    this.calls.length = 0;
    this.completed.length = 0;
  }
}

@Controller()
export class OrderedContractHandler {
  constructor(private readonly record: OrderedCalls) {}

  @HandleEvent(ORDERED_PATTERN, { ordered: true })
  @Retry(ORDERED_RETRY)
  async onEntry(@Payload() entry: OrderedEntry, @Ctx() context: RabbitContext): Promise<void> {
    const attempt = context.getRetryCount();
    this.record.calls.push(`${entry.seq}/${attempt}`);
    // A turn of the event loop, as real work takes: a harness that ran entries side by side would interleave here.
    await new Promise((resolve) => setImmediate(resolve));
    if (attempt < entry.failures) {
      throw new Error(`entry ${entry.seq} failed at attempt ${attempt}`);
    }
    this.record.completed.push(entry.seq);
  }
}

export interface OrderedContractScenario {
  name: string;
  /** Published back to back in this order. */
  entries: { seq: number; failures: number }[];
  /** What production must do (checked on both runs, so they cannot agree on a wrong answer). */
  expected: Partial<OrderedContractObservation>;
}

/** How one entry settled: its in-place retries as `[attempt, delayMs, errorType, errorMessage]`. */
export interface SettledEntry {
  seq: number;
  /** `ack` or `dead-letter` (a `retry` would be a retry copy: never, for an ordered handler). */
  kind: HandlerResult['kind'];
  /** The parked copy's `x-retry-count`. */
  retryCount?: number;
  inPlace: [number, number, string, string][];
}

/** What an ordered scenario ended as; equal between harness and broker. */
export interface OrderedContractObservation {
  calls: string[];
  completed: number[];
  /** In publish order. */
  settled: SettledEntry[];
  /** Retry queues the handler used (none: an ordered handler retries in place). */
  retryQueues: string[];
}

/** How an ALWAYS failing entry settles: retried in place after 100 and 200 ms (ORDERED_RETRY), then parked. */
export function parkedAfterEveryRetry(seq: number): SettledEntry {
  return {
    seq,
    kind: 'dead-letter',
    retryCount: 2,
    inPlace: [
      [1, 100, 'Error', `entry ${seq} failed at attempt 0`],
      [2, 200, 'Error', `entry ${seq} failed at attempt 1`],
    ],
  };
}

export const ORDERED_CONTRACT_SCENARIOS: OrderedContractScenario[] = [
  {
    name: 'a failure is retried in place with the @Retry delay, then acked',
    entries: [{ seq: 1, failures: 1 }],
    expected: {
      calls: ['1/0', '1/1'],
      settled: [{ seq: 1, kind: 'ack', inPlace: [[1, 100, 'Error', 'entry 1 failed at attempt 0']] }],
      retryQueues: [],
    },
  },
  {
    name: 'out of retries, an entry is parked in place and the next one runs after it',
    entries: [
      { seq: 1, failures: ALWAYS },
      { seq: 2, failures: 0 },
    ],
    expected: {
      calls: ['1/0', '1/1', '1/2', '2/0'],
      completed: [2],
      settled: [parkedAfterEveryRetry(1), { seq: 2, kind: 'ack', inPlace: [] }],
      retryQueues: [],
    },
  },
  {
    name: 'entries complete in publish order when one in the middle fails first',
    entries: [1, 2, 3, 4].map((seq) => ({ seq, failures: seq === 2 ? 1 : 0 })),
    expected: { calls: ['1/0', '2/0', '2/1', '3/0', '4/0'], completed: [1, 2, 3, 4] },
  },
];
