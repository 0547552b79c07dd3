/**
 * The broker's part of the HTTP comparison, measured without HTTP or either client library: raw
 * amqplib publishes Nest's message shape and warren's (see bench/subjects/publish-shape.ts) with
 * 50 publishes waiting for confirms, the shapes taking turns. What the broker needs to confirm a
 * message of each shape bounds what any client sending it can reach.
 */
import { unroutedExchangeName, unroutedQueueName } from '../../src/rabbitmq/topology/topology-names.js';
import type { BenchBroker } from './broker.js';
import { startSubject } from './subjects.js';
import { builtPath, log, median, randomSuffix, round } from './util.js';

export type ShapeName = 'nest' | 'warren';

export interface ShapeRun {
  msgPerSec: number;
  p50Ms: number;
  p99Ms: number;
}

export interface ShapeResult {
  shape: ShapeName;
  label: string;
  /** all confirms over all runs per second; p50/p99: the median of the runs' */
  msgPerSec: number | null;
  p50Ms: number | null;
  p99Ms: number | null;
  runs: ShapeRun[];
  error?: string;
}

export interface PublishShapes {
  inFlight: number;
  seconds: number;
  shapes: ShapeResult[];
}

/** Confirms and milliseconds of each shape, summed over its runs. */
type ShapeTotals = Map<ShapeName, { confirmed: number; ms: number }>;

const LABELS: Record<ShapeName, string> = {
  nest: "Nest's shape: {pattern, data} to the default exchange, persistent",
  warren: "warren's shape: event to its topic exchange, messageId/timestamp/type/contentType/appId",
};

export async function runPublishShapes(broker: BenchBroker, options: { seconds: number; rounds: number; inFlight: number }): Promise<PublishShapes> {
  const id = randomSuffix();
  const queue = `${broker.prefix}-shape-${id}`;
  const exchange = `${broker.prefix}-shape-${id}.events`;
  const results: ShapeResult[] = (['nest', 'warren'] as const).map((shape) => ({
    shape,
    label: LABELS[shape],
    msgPerSec: null,
    p50Ms: null,
    p99Ms: null,
    runs: [],
  }));
  const totals: ShapeTotals = new Map();
  try {
    await broker.declareClassicQueue(queue);
    broker.track({ queues: [unroutedQueueName(exchange)], exchanges: [exchange, unroutedExchangeName(exchange)] });
    // As warren declares it: a plain durable topic exchange, no arguments.
    await broker.withTopology(async (channel) => void (await channel.assertExchange(exchange, 'topic', { durable: true })));
    await broker.bindQueue(queue, exchange, 'order.created');
    for (let index = 0; index < options.rounds; index++) {
      for (const result of results) {
        if (result.error) {
          continue;
        }
        try {
          await runShapeOnce(result, { queue, exchange, options, index, totals });
          await broker.purgeQueue(queue);
        } catch (error) {
          result.error = String(error instanceof Error ? error.message : error);
          log(`publish shape ${result.shape} failed: ${result.error}`);
        }
      }
    }
  } catch (error) {
    for (const result of results) {
      result.error ??= String(error instanceof Error ? error.message : error);
    }
  } finally {
    await broker.deleteQueue(queue);
  }
  summarizeShapes(results, totals);
  return { inFlight: options.inFlight, seconds: options.seconds, shapes: results };
}

/** One publish-shape subject for one round: its confirm rate and latency, added to the shape's totals. */
async function runShapeOnce(
  result: ShapeResult,
  turn: { queue: string; exchange: string; options: { seconds: number; inFlight: number }; index: number; totals: ShapeTotals },
): Promise<void> {
  const { queue, exchange, options, index, totals } = turn;
  const subject = startSubject({
    label: `publish-shape-${result.shape}`,
    script: builtPath('bench/subjects/publish-shape.js'),
    env: {
      BENCH_SHAPE: result.shape,
      BENCH_QUEUE: queue,
      BENCH_EXCHANGE: exchange,
      BENCH_IN_FLIGHT: String(options.inFlight),
      BENCH_SECONDS: String(options.seconds),
    },
  });
  try {
    await subject.waitFor('ready', 30_000);
    const done = await subject.waitFor('done', (options.seconds + 60) * 1000);
    const confirmed = Number(done.confirmed);
    const ms = Number(done.elapsedMs);
    const run: ShapeRun = { msgPerSec: round(confirmed / (ms / 1000)), p50Ms: round(Number(done.p50Ms), 1), p99Ms: round(Number(done.p99Ms), 1) };
    result.runs.push(run);
    const total = totals.get(result.shape) ?? { confirmed: 0, ms: 0 };
    totals.set(result.shape, { confirmed: total.confirmed + confirmed, ms: total.ms + ms });
    log(`publish shape ${result.shape} round ${index + 1}: ${run.msgPerSec} msg/s, confirm p50 ${run.p50Ms} ms, p99 ${run.p99Ms} ms`);
  } finally {
    await subject.exitOrKill(10_000).catch(() => undefined);
  }
}

/** Each shape over all its runs: all confirms per second, and the median of the runs' p50 and p99. */
function summarizeShapes(results: ShapeResult[], totals: ShapeTotals): void {
  for (const result of results) {
    const total = totals.get(result.shape);
    if (total && result.runs.length > 0) {
      result.msgPerSec = round(total.confirmed / (total.ms / 1000));
      result.p50Ms = median(result.runs.map((r) => r.p50Ms));
      result.p99Ms = median(result.runs.map((r) => r.p99Ms));
    }
  }
}
