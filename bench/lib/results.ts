/** What each scenario produces and lib/report.ts renders: types only, so scenarios and report depend on this, not on each other. */

export interface BenchResults {
  command: string;
  rabbitmqVersion: string;
  durationSeconds?: number;
  /** load average (1, 5, 15 min) at the start and at the end: this machine is shared */
  loadAtStart: number[];
  loadAtEnd?: number[];
  drain?: DrainResult;
  http?: HttpResult;
  memory?: MemoryResult;
  poison?: PoisonResult;
  outbox?: OutboxResult;
  /** names of this run still on the broker at the end (must be empty) */
  leftovers?: string[];
}

export type DrainSubjectName = 'raw' | 'nest' | 'golevelup' | 'warren';

export interface DrainRow {
  subject: DrainSubjectName;
  /** subject CPU (user + system) per 1,000 messages after the warm-up, median round */
  cpuMsPer1k: number | null;
  /** every round's CPU per 1,000 messages, in run order */
  cpuRounds: (number | null)[];
  /** the broker's CPU over the same span; null when it is not local */
  brokerCpuMsPer1k: number | null;
  msgPerSec: number | null;
  prefetch: number | null;
  peakRssMb: number | null;
  /** messages still queued after the subject closed (must be 0) */
  remaining: number | null;
  error?: string;
}

export interface DrainResult {
  n: number;
  rounds: number;
  rows: DrainRow[];
}

/** `outbox`: warren's Outbox.publish in a PostgreSQL transaction (the outbox bench) */
export type HttpAppName = 'nest' | 'warren' | 'golevelup' | 'outbox';

export interface HttpRow {
  app: HttpAppName;
  connections: number;
  /** 2xx answers per second over all rounds */
  reqPerSec: number | null;
  /** median of the rounds' p99 */
  p99Ms: number | null;
  /** app process CPU per 2xx answer */
  appCpuUsPerRequest: number | null;
  brokerCpuUsPerRequest: number | null;
  non2xx: number;
  errors: number;
  error?: string;
}

export interface HttpResult {
  seconds: number;
  rounds: number;
  rows: HttpRow[];
}

export type MemorySubjectName = 'warren' | 'nest-default' | 'nest-tuned' | 'golevelup-default' | 'golevelup-tuned';

export interface MemoryRow {
  subject: MemorySubjectName;
  initial: number;
  peakRssMb: number | null;
  /** exited by itself (a crash), with V8's heap-out-of-memory or not */
  crashed: string | null;
  handlerCalls: number | null;
  /** ready + unacked once the subject is gone, in its queue / in warren's retry queues / dead-lettered */
  remaining: number | null;
  retrying: number | null;
  deadLettered: number | null;
  /** initial − everything found (nothing was acked: the handler hangs) */
  lost: number | null;
  error?: string;
}

export interface MemoryScenario {
  label: string;
  count: number;
  messageBytes: number;
  rows: MemoryRow[];
  error?: string;
}

export interface MemoryResult {
  seconds: number;
  heapLimitMb: number;
  scenarios: MemoryScenario[];
}

export type PoisonSubjectName = 'warren' | 'nest' | 'golevelup';
export type PoisonCase = 'throw' | 'invalid-json';

export interface PoisonRow {
  subject: PoisonSubjectName;
  case: PoisonCase;
  /** basic.deliver frames the subject received in the window (counted inside amqplib) */
  deliveries: number | null;
  cpuSeconds: number | null;
  brokerCpuSeconds: number | null;
  logLines: number | null;
  /** where the message is once the subject is gone */
  endsIn: string;
  error?: string;
}

export interface PoisonResult {
  seconds: number;
  rows: PoisonRow[];
}

export interface DeadTuples {
  table: string;
  live: number;
  dead: number;
  /** autovacuum runs on the table since the database was created */
  autovacuums: number;
}

export interface OutboxResult {
  seconds: number;
  rounds: number;
  /** POST /orders: direct publish (`warren`) and through the outbox (`outbox`) */
  http: HttpRow[];
  /** the outbox's commit-to-confirm latency over the measured runs, per connection count */
  latency: { connections: number; count: number; p50Ms: number | null; p99Ms: number | null }[];
  backlogRows: number;
  /** the backlog, from its commit to an empty table; CPU of the relay's process */
  backlog?: { seconds: number; eventsPerSec: number; cpuUsPerEvent: number | null };
  /** raw amqplib publishing as many events to the same queue with confirms, 400 unconfirmed at most (the relay's 2 batches of 200) */
  rawEventsPerSec?: number;
  /** drained events claimed in the inbox, and at what rate (start-up of the inbox app included) */
  inboxRows?: number;
  inboxEventsPerSec?: number;
  deadTuplesAfterRun?: DeadTuples[];
  deadTuplesAfterVacuum?: DeadTuples[];
  error?: string;
}
