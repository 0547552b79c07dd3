import { Controller, Injectable } from '@nestjs/common';
import { Ctx, Payload } from '@nestjs/microservices';
import { IsInt, IsOptional, IsString } from 'class-validator';
import { HandleEvent, RabbitContext, Retry } from '../../src/rabbitmq/index.js';
import { partitionOf } from '../../src/rabbitmq/server/partition-key.js';
import { ALWAYS, ORDERED_RETRY, parkedAfterEveryRetry, type SettledEntry } from './ordered-contract-scenarios.js';

/**
 * The per-key scenarios of the harness/broker contract: entries of two keys (in different
 * partitions) published back to back to a handler ordered by key, run once through
 * `warren/testing` and once through the real broker's partition router and partitions. Both must
 * keep each key's order, retry in place, park the same entries, and let a key proceed while
 * another key's entry is held.
 */
export const BY_KEY_PATTERN = 'contract-by-key.entry';
export const BY_KEY_PARTITIONS = 4;
export const KEY_A = 'key-a';
/** A key whose partition is not KEY_A's: what one key does must not hold it. */
export const KEY_B = (() => {
  for (let i = 0; ; i++) {
    if (partitionOf(`key-b${i}`, BY_KEY_PARTITIONS) !== partitionOf(KEY_A, BY_KEY_PARTITIONS)) return `key-b${i}`;
  }
})();
/** How long an entry waits for the one it is held until, before it says it was held behind it. */
const HOLD_LIMIT_MS = 5_000;

export class KeyedEntry {
  @IsString()
  run!: string;

  @IsString()
  key!: string;

  @IsInt()
  seq!: number;

  /** How many attempts fail before one succeeds. */
  @IsInt()
  failures!: number;

  /** Its first attempt runs until this entry (another key's) is done. */
  @IsOptional()
  @IsInt()
  holdUntil?: number;
}

/** What the handler did, in order. */
@Injectable()
export class KeyedCalls {
  /** Invocations as `key seq/retryCount`. */
  readonly calls: string[] = [];
  /** `released <seq>` when the entry it waited for was done, `held <seq>` when that never came. */
  readonly holds: string[] = [];
  readonly completed: { key: string; seq: number }[] = [];
  private readonly waiting = new Map<number, () => void>();
  private readonly done = new Set<number>();

  clear(): void {
    this.calls.length = 0;
    this.holds.length = 0;
    this.completed.length = 0;
    this.waiting.clear();
    this.done.clear();
  }

  finished(seq: number): void {
    this.done.add(seq);
    this.waiting.get(seq)?.();
  }

  /** Resolves with 'released' once `seq` is done, or 'held' after HOLD_LIMIT_MS. */
  until(seq: number): Promise<'released' | 'held'> {
    if (this.done.has(seq)) return Promise.resolve('released');
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve('held'), HOLD_LIMIT_MS);
      this.waiting.set(seq, () => {
        clearTimeout(timer);
        resolve('released');
      });
    });
  }
}

@Controller([])
export class KeyedContractHandler {
  constructor(private readonly record: KeyedCalls) {}

  @HandleEvent(BY_KEY_PATTERN, { ordered: { by: (entry: KeyedEntry) => entry.key, partitions: BY_KEY_PARTITIONS } })
  @Retry(ORDERED_RETRY)
  async onEntry(@Payload() entry: KeyedEntry, @Ctx() context: RabbitContext): Promise<void> {
    const attempt = context.getRetryCount();
    this.record.calls.push(`${entry.key} ${entry.seq}/${attempt}`);
    if (entry.holdUntil !== undefined && attempt === 0) {
      this.record.holds.push(`${await this.record.until(entry.holdUntil)} ${entry.seq}`);
    }
    await new Promise((resolve) => setImmediate(resolve));
    if (attempt < entry.failures) {
      throw new Error(`entry ${entry.seq} failed at attempt ${attempt}`);
    }
    this.record.completed.push({ key: entry.key, seq: entry.seq });
    this.record.finished(entry.seq);
  }
}

export interface ByKeyContractScenario {
  name: string;
  /** Published back to back in this order. */
  entries: { key: string; seq: number; failures: number; holdUntil?: number }[];
  expected: Partial<ByKeyContractObservation>;
}

/** What a per-key scenario ended as; equal between harness and broker. */
export interface ByKeyContractObservation {
  /** Per key, its invocations (`seq/retryCount`) in order: across keys they run in parallel. */
  callsByKey: Record<string, string[]>;
  completedByKey: Record<string, number[]>;
  holds: string[];
  /** In publish order. */
  settled: SettledEntry[];
  retryQueues: string[];
}

export const BY_KEY_CONTRACT_SCENARIOS: ByKeyContractScenario[] = [
  {
    name: "a failing key holds only its own key: the other key's entries run while it is held, then it is parked and its next entry runs",
    entries: [
      { key: KEY_A, seq: 1, failures: ALWAYS, holdUntil: 4 },
      { key: KEY_A, seq: 2, failures: 0 },
      { key: KEY_B, seq: 3, failures: 0 },
      { key: KEY_B, seq: 4, failures: 0 },
    ],
    expected: {
      callsByKey: { [KEY_A]: ['1/0', '1/1', '1/2', '2/0'], [KEY_B]: ['3/0', '4/0'] },
      holds: ['released 1'],
      settled: [
        parkedAfterEveryRetry(1),
        { seq: 2, kind: 'ack', inPlace: [] },
        { seq: 3, kind: 'ack', inPlace: [] },
        { seq: 4, kind: 'ack', inPlace: [] },
      ],
      retryQueues: [],
    },
  },
  {
    name: 'each key keeps its order through an in-place retry',
    entries: [
      { key: KEY_A, seq: 1, failures: 1 },
      { key: KEY_B, seq: 2, failures: 1 },
      { key: KEY_A, seq: 3, failures: 0 },
      { key: KEY_B, seq: 4, failures: 0 },
    ],
    expected: {
      callsByKey: { [KEY_A]: ['1/0', '1/1', '3/0'], [KEY_B]: ['2/0', '2/1', '4/0'] },
      completedByKey: { [KEY_A]: [1, 3], [KEY_B]: [2, 4] },
    },
  },
];

/** Calls and completions grouped per key, each in the order it happened. */
export function perKey(record: KeyedCalls): Pick<ByKeyContractObservation, 'callsByKey' | 'completedByKey'> {
  const callsByKey: Record<string, string[]> = {};
  for (const call of record.calls) {
    const [key, attempt] = call.split(' ');
    (callsByKey[key] ??= []).push(attempt);
  }
  const completedByKey: Record<string, number[]> = {};
  for (const { key, seq } of record.completed) {
    (completedByKey[key] ??= []).push(seq);
  }
  return { callsByKey, completedByKey };
}
