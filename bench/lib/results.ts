/**
 * What each benchmark scenario produces and the report renders: the types only, in their own module so the scenario
 * entry files (codec, drain, http-publish, memory) and lib/report.ts depend on them instead of on each other.
 */
import type { RssSample } from './child.js';
import type { MachineInfo } from './machine.js';
import type { PublishShapes } from './publish-shapes.js';

/** Everything one bench run wrote to bench/results/<name>.json; each scenario is there when it ran. */
export interface BenchResults {
  machine?: MachineInfo;
  rabbitmqVersion?: string;
  command?: string;
  startedAt?: string;
  durationSeconds?: number;
  settings?: Record<string, unknown>;
  drain?: DrainResult;
  http?: HttpResult;
  memory?: MemoryResult;
  codec?: CodecResult;
  poison?: PoisonResult;
}

// bench/poison.ts: one poison message, each library with its defaults

export type PoisonSubjectName = 'warren' | 'nest' | 'golevelup';
export type PoisonCase = 'throw' | 'invalid-json';

export interface PoisonRow {
  subject: PoisonSubjectName;
  label: string;
  case: PoisonCase;
  /** basic.deliver frames the subject received in the window */
  deliveries: number | null;
  /** times the handler ran */
  handlerCalls: number | null;
  /** CPU (user + system) of the subject in the window */
  cpuSeconds: number | null;
  /** CPU of the broker in the window; null when it is not local */
  brokerCpuSeconds: number | null;
  /** lines the subject wrote to stdout/stderr in the window */
  logLines: number | null;
  /** where the message is once the subject is gone */
  endsIn: string;
  error?: string;
}

export interface PoisonResult {
  seconds: number;
  rows: PoisonRow[];
}

// bench/codec.ts: size and speed of each codec

export interface CodecMeasure {
  codec: string;
  contentType: string;
  payload: 'small' | 'medium' | 'large';
  jsonBytes: number;
  encodedBytes: number;
  /** encoded / JSON bytes */
  sizeRatio: number;
  encodeDecodeMicros: number;
}

export interface CodecResult {
  skipped: boolean;
  reason?: string;
  measures: CodecMeasure[];
}

// bench/drain.ts: draining a backlog

export type DrainSubjectName = 'raw' | 'nest' | 'golevelup' | 'warren' | 'warren-default-budget';

export interface DrainSubjectResult {
  subject: DrainSubjectName;
  label: string;
  n: number;
  /** prefetch the subject really used (warren caps it to fit its byte budget) */
  prefetch: number | null;
  fillRate: number | null;
  msgPerSec: number | null;
  /** first delivery → N-th message handled */
  seconds: number | null;
  peakRssMb: number | null;
  /** CPU time the subject used from `ready` to the N-th message, per 1,000 messages */
  cpuMsPer1k: number | null;
  /** CPU per 1,000 messages of every round, in run order, when the drain ran more than one round (the row is the median round) */
  cpuRounds?: (number | null)[];
  /** CPU time the broker used over the same span, per 1,000 messages; null when the broker is not local */
  brokerCpuMsPer1k?: number | null;
  /** messages still queued after the subject closed (should be 0) */
  remaining: number | null;
  error?: string;
}

export interface DrainResult {
  n: number;
  messageBytes: number;
  prefetch: number;
  queueType: 'classic';
  subjects: DrainSubjectResult[];
  ratios: {
    warrenOverRaw: number | null;
    warrenOverNest: number | null;
    nestOverRaw: number | null;
    defaultBudgetOverRaw: number | null;
    defaultBudgetOverNest: number | null;
    /** subject CPU per 1,000 messages, warren / raw amqplib (issue 14 target ≤ 1.25) */
    cpuWarrenOverRaw?: number | null;
    /** subject CPU per 1,000 messages, warren / golevelup (issue 14 target < 1) */
    cpuWarrenOverGolevelup?: number | null;
  };
}

// bench/http-publish.ts: HTTP -> publish

export type HttpAppName = 'nest' | 'warren' | 'warren-fastify' | 'golevelup' | 'demo';

/** One autocannon run of one app. */
export interface HttpRound {
  seconds: number;
  reqPerSec: number;
  p50Ms: number;
  p99Ms: number;
}

/**
 * One app at one connection count, over its rounds: req/s = all 2xx / all seconds; p50 and p99
 * = the median of the rounds' (autocannon reports percentiles per run, not samples to pool);
 * max = the largest; counts and CPU summed over the rounds.
 */
export interface HttpRun {
  connections: number;
  seconds: number;
  /** 2xx answers per second */
  reqPerSec: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  rounds: HttpRound[];
  ok2xx: number;
  non2xx: number;
  errors: number;
  timeouts: number;
  /** CPU (user + system) of the app process during the run, per 2xx answer; null if unreadable */
  appCpuUsPerRequest: number | null;
  /** CPU of the broker during the run, per 2xx answer; null when the broker is not local */
  brokerCpuUsPerRequest: number | null;
}

export interface HttpAppResult {
  app: HttpAppName;
  label: string;
  runs: HttpRun[];
  peakRssMb: number | null;
  /** 202s answered (probe and warm-ups included) vs messages found in the app's queues */
  accepted: number;
  stored: number | null;
  error?: string;
}

export interface HttpResult {
  connections: number[];
  seconds: number;
  rounds: number;
  warmupSeconds: number;
  apps: HttpAppResult[];
  rawCeiling: { msgPerSec: number | null; window: number; messageBytes: number; seconds: number; error?: string };
  /** the broker's confirm throughput and latency for each client's message shape (raw amqplib, no HTTP) */
  brokerShapes?: PublishShapes;
  ratios: {
    connections: number;
    warrenOverNest: number | null;
    demoOverNest: number | null;
    warrenP99OverNest: number | null;
    demoP99OverNest: number | null;
    nestOverRaw: number | null;
    warrenOverRaw: number | null;
    /** app CPU per request against the Nest built-in client app's (issue 14 target: ≤ 0.7) */
    warrenCpuOverNest?: number | null;
    warrenFastifyCpuOverNest?: number | null;
    golevelupCpuOverNest?: number | null;
    /** warren's app on Fastify against the same app on Express (adopt Fastify if ≤ 0.75) */
    fastifyCpuOverExpress?: number | null;
  }[];
}

// bench/memory.ts: memory under a backlog

export type MemorySubjectName = 'warren' | 'nest-default' | 'nest-tuned' | 'golevelup-default' | 'golevelup-tuned' | 'demo';

export interface MemorySubjectResult {
  subject: MemorySubjectName;
  label: string;
  /** unacked window the subject really had (warren caps it to its byte budget); null = unbounded */
  prefetch: number | null;
  initial: number;
  peakRssMb: number | null;
  endRssMb: number | null;
  crashed: boolean;
  heapOutOfMemory: boolean;
  exit: string | null;
  crashAtSeconds: number | null;
  readyAtSeconds: number | null;
  /** handler invocations the subject reported (last status before the end) */
  handlerCalls: number | null;
  remaining: number | null;
  /** copies waiting in warren's delay queues (`<queue>.retry.<ms>`): not lost, they come back */
  retrying: number | null;
  deadLettered: number | null;
  acked: number;
  lost: number | null;
  samples: RssSample[];
  /** demo only: the inventory handler is not hung; accounted = remaining + dlq + follow-up events */
  inventory?: { initial: number; remaining: number; retrying: number; deadLettered: number; followUps: number; unaccounted: number };
  notes: string[];
  error?: string;
}

export interface MemoryScenarioResult {
  id: string;
  label: string;
  count: number;
  messageBytes: number;
  seconds: number;
  fillRate: number | null;
  subjects: MemorySubjectResult[];
  error?: string;
}

export interface MemoryResult {
  heapLimitMb: number;
  sampleEveryMs: number;
  scenarios: MemoryScenarioResult[];
}
