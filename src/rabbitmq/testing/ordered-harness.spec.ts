import { afterEach, describe, expect, it } from '@jest/globals';
import { Controller, Injectable } from '@nestjs/common';
import { Ctx, Payload } from '@nestjs/microservices';
import { HandleEvent, RabbitContext, Retry } from '../index.js';
import { HandlerHarness } from './index.js';

/** Long enough that a harness which waited a delay would time the test out. */
const DELAYS = [60_000, 120_000];

/** What the ordered handler did, in order; `gate` holds an entry's handler until the test opens it. */
@Injectable()
class Journal {
  readonly steps: string[] = [];
  /** Entry seq → how many attempts fail before one succeeds (Infinity: always). */
  readonly failing = new Map<number, number>();
  gate?: { seq: number; opened: Promise<void> };
}

@Controller()
class JournalHandler {
  constructor(private readonly journal: Journal) {}

  @HandleEvent('journal.entry', { ordered: true })
  @Retry({ attempts: 2, delaysMs: DELAYS })
  async onEntry(@Payload() entry: { seq: number }, @Ctx() context: RabbitContext): Promise<void> {
    const { journal } = this;
    const attempt = context.getRetryCount();
    journal.steps.push(`start ${entry.seq}/${attempt}`);
    if (journal.gate?.seq === entry.seq) {
      await journal.gate.opened;
    }
    if (attempt < (journal.failing.get(entry.seq) ?? 0)) {
      journal.steps.push(`fail ${entry.seq}/${attempt}`);
      throw new Error(`entry ${entry.seq} failed at attempt ${attempt}`);
    }
    journal.steps.push(`done ${entry.seq}/${attempt}`);
  }

  @HandleEvent('journal.audit')
  @Retry({ attempts: 2, delaysMs: DELAYS })
  onAudit(): void {
    throw new Error('audit store down');
  }
}

describe('HandlerHarness with an ordered handler', () => {
  let harness: HandlerHarness;

  afterEach(() => harness?.close());

  const create = () => HandlerHarness.create({ handlers: [JournalHandler], providers: [Journal] });

  it('retries in place as production does: no retry copy, no retry queue, the policy delays recorded but not waited', async () => {
    harness = await create();
    harness.get(Journal).failing.set(1, 1);

    const result = (await harness.publish('journal.entry', { seq: 1 }, { messageId: 'e-1' })).result;

    expect(result).toEqual({
      queue: 'harness.journal.entry',
      handler: 'journal.entry',
      kind: 'ack',
      retriedInPlace: [{ attempt: 1, delayMs: 60_000, errorType: 'Error', errorMessage: 'entry 1 failed at attempt 0' }],
      waitedFor: [],
    });
    expect(result).not.toHaveProperty('retryQueue');
    expect(harness.get(Journal).steps).toEqual(['start 1/0', 'fail 1/0', 'start 1/1', 'done 1/1']);
    // Nothing to follow: the first result is the settled one.
    await expect(harness.retryUntilSettled(result)).resolves.toEqual([result]);
  });

  it('parks after the last in-place retry with the retries made, as the DLQ copy carries them', async () => {
    harness = await create();
    harness.get(Journal).failing.set(2, Infinity);

    const result = (await harness.publish('journal.entry', { seq: 2 })).result;

    expect(result).toMatchObject({ kind: 'dead-letter', retryCount: 2, retryable: true, errorMessage: 'entry 2 failed at attempt 2' });
    expect(result.kind === 'dead-letter' && result.copy.headers).toMatchObject({ 'x-retry-count': 2, 'x-error-type': 'Error' });
    expect(result.kind === 'dead-letter' && result.retriedInPlace?.map((retry) => [retry.attempt, retry.delayMs])).toEqual([
      [1, 60_000],
      [2, 120_000],
    ]);
  });

  it('holds the next message of the queue until the one before is acked, and says what it waited for', async () => {
    harness = await create();
    const journal = harness.get(Journal);
    // Entry 1 is held 100 ms: an unordered harness would start entry 2 meanwhile (and finish it first).
    journal.gate = { seq: 1, opened: new Promise<void>((resolve) => setTimeout(resolve, 100)) };

    const first = harness.publish('journal.entry', { seq: 1 }, { messageId: 'e-1' });
    const second = harness.publish('journal.entry', { seq: 2 }, { messageId: 'e-2' });
    const [one, two] = await Promise.all([first, second]);

    // Entry 2 started only after entry 1 was done, however long entry 1 took.
    expect(journal.steps).toEqual(['start 1/0', 'done 1/0', 'start 2/0', 'done 2/0']);
    expect(one.result).toMatchObject({ kind: 'ack', waitedFor: [] });
    expect(two.result).toMatchObject({ kind: 'ack', waitedFor: ['e-1'] });
  });

  it('releases the next message when the one before is parked, after all its retries', async () => {
    harness = await create();
    const journal = harness.get(Journal);
    journal.failing.set(1, Infinity);

    const [one, two, three] = await Promise.all([1, 2, 3].map((seq) => harness.publish('journal.entry', { seq }, { messageId: `e-${seq}` })));

    expect(journal.steps).toEqual([
      'start 1/0',
      'fail 1/0',
      'start 1/1',
      'fail 1/1',
      'start 1/2',
      'fail 1/2',
      'start 2/0',
      'done 2/0',
      'start 3/0',
      'done 3/0',
    ]);
    expect(one.result).toMatchObject({ kind: 'dead-letter', retryCount: 2 });
    expect(two.result).toMatchObject({ kind: 'ack', waitedFor: ['e-1'], retriedInPlace: [] });
    expect(three.result).toMatchObject({ kind: 'ack', waitedFor: ['e-1', 'e-2'] });
  });

  it('leaves an unordered handler as it was: a retry copy to its delay queue, no in-place fields', async () => {
    harness = await create();
    const result = (await harness.publish('journal.audit', {})).result;
    expect(result).toMatchObject({ kind: 'retry', attempt: 1, retryQueue: 'harness.journal.audit.retry.60000' });
    expect(result).not.toHaveProperty('retriedInPlace');
    expect(result).not.toHaveProperty('waitedFor');
  });
});
