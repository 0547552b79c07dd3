import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { BenchResults, DeadTuples, DrainResult, HttpAppName, HttpResult, HttpRow, MemoryResult, OutboxResult, PoisonResult } from './results.js';
import { BENCH_DIR, ratio } from './util.js';

const RESULTS_DIR = resolve(BENCH_DIR, 'results');

const HTTP_LABELS: Record<string, string> = {
  nest: 'Nest ClientRMQ.emit',
  warren: 'warren RabbitClient.publish',
  golevelup: 'golevelup AmqpConnection.publish',
  outbox: 'warren Outbox.publish (PostgreSQL transaction, relayed)',
};
const LABELS: Record<string, string> = {
  raw: 'raw amqplib',
  nest: 'Nest Transport.RMQ',
  golevelup: '@golevelup/nestjs-rabbitmq 9',
  warren: 'warren',
  'nest-default': 'Nest RMQ defaults (noAck, no prefetch)',
  'nest-tuned': 'Nest RMQ hand-tuned (ack, prefetch 50)',
  'golevelup-default': 'golevelup defaults (prefetch 10)',
  'golevelup-tuned': 'golevelup (prefetch 50)',
};

const num = (value: number | null | undefined, digits = 0): string =>
  value == null || !Number.isFinite(value) ? '—' : value.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
const times = (value: number | null): string => (value == null ? '—' : `${value.toFixed(2)}×`);
const row = (cells: unknown[]): string => `| ${cells.join(' | ')} |`;
/** A table's header; the first `text` columns are left-aligned, the others (figures) right-aligned. */
const header = (cells: string[], text = 1): string[] => [row(cells), row(cells.map((_, i) => (i < text ? '---' : '---:')))];
const failures = (rows: { error?: string }[]): string[] => rows.flatMap((r) => (r.error ? [`- failed: ${r.error}`] : []));

/**
 * Writes bench/results/<base>.md (`results` for the full run, the scenario names for a partial one) and a small SVG
 * bar chart for drain, memory and HTTP; returns the markdown.
 */
export function writeReport(results: BenchResults, base: string): string {
  const charts: [string, string][] = [];
  const out = [
    '# warren benchmarks',
    '',
    `Command: \`${results.command}\`${results.durationSeconds ? ` — ${Math.round(results.durationSeconds)} s` : ''}; RabbitMQ ${results.rabbitmqVersion}, Node.js ${process.version}, ${new Date().toISOString().slice(0, 10)}.`,
    `Load average (1 / 5 / 15 min) at the start ${results.loadAtStart.join(' / ')}, at the end ${results.loadAtEnd?.join(' / ') ?? '—'} on 2 cores.`,
    `Left on the broker at the end: ${results.leftovers?.length ? results.leftovers.join(', ') : 'nothing'}.`,
    '',
    'Every subject is its own `node` child process, one after another on the same broker in the same run: absolute figures drift with the load of the shared machine, the ratios measured side by side are what count.',
    '',
  ];
  if (results.drain) {
    out.push(...drainSection(results.drain));
    charts.push([
      'drain',
      barChart(
        'CPU per 1,000 drained messages (ms)',
        results.drain.rows.map((r) => [LABELS[r.subject], r.cpuMsPer1k]),
      ),
    ]);
  }
  if (results.memory) {
    out.push(...memorySection(results.memory));
    const first = results.memory.scenarios[0];
    charts.push([
      'memory',
      barChart(
        `Peak RSS, ${first?.label ?? ''} backlog, hung handler (MB)`,
        (first?.rows ?? []).map((r) => [LABELS[r.subject], r.peakRssMb]),
      ),
    ]);
  }
  if (results.poison) {
    out.push(...poisonSection(results.poison));
  }
  if (results.http) {
    out.push(...httpSection(results.http));
    const top = Math.max(...results.http.rows.map((r) => r.connections));
    const rows = results.http.rows.filter((r) => r.connections === top);
    charts.push([
      'http',
      barChart(
        `App CPU per request at ${top} connections (µs)`,
        rows.map((r) => [HTTP_LABELS[r.app], r.appCpuUsPerRequest]),
      ),
    ]);
  }
  if (results.outbox) out.push(...outboxSection(results.outbox));
  for (const [name, svg] of charts) {
    const file = base === 'results' ? `${name}.svg` : `${base}.${name}.svg`;
    writeFileSync(resolve(RESULTS_DIR, file), svg);
    out.push(`![${name}](${file})`);
  }
  const markdown = `${out.join('\n')}\n`;
  writeFileSync(resolve(RESULTS_DIR, `${base}.md`), markdown);
  writeFileSync(resolve(RESULTS_DIR, `${base}.json`), JSON.stringify(results, null, 1)); // git-ignored
  return markdown;
}

function drainSection(d: DrainResult): string[] {
  const cpu = (name: string): number | null => d.rows.find((r) => r.subject === name)?.cpuMsPer1k ?? null;
  return [
    `## Drain ${num(d.n)} × 1 KB, no-op handler, prefetch 100, classic queues, ${d.rounds} round(s)`,
    '',
    ...header(['subject', '**CPU per 1k msgs**', 'vs warren', 'each round', 'broker CPU per 1k', 'msg/s', 'prefetch', 'peak RSS', 'left']),
    ...d.rows.map((r) =>
      row([
        LABELS[r.subject],
        `**${num(r.cpuMsPer1k, 1)} ms**`,
        times(ratio(r.cpuMsPer1k, cpu('warren'))),
        r.cpuRounds.map((c) => num(c, 1)).join(' / '),
        `${num(r.brokerCpuMsPer1k, 1)} ms`,
        num(r.msgPerSec),
        num(r.prefetch),
        `${num(r.peakRssMb)} MB`,
        num(r.remaining),
      ]),
    ),
    '',
    `warren / raw = **${times(ratio(cpu('warren'), cpu('raw')))}**, warren / golevelup = **${times(ratio(cpu('warren'), cpu('golevelup')))}**, warren / Nest = **${times(ratio(cpu('warren'), cpu('nest')))}** (CPU per message).`,
    'CPU: user + system time of the subject process (all threads) from the end of the warm-up (first tenth) to the last message; a row is the median round (Nest runs once).',
    ...failures(d.rows),
    '',
  ];
}

function memorySection(m: MemoryResult): string[] {
  return m.scenarios.flatMap((s) => [
    `## Memory: ${s.label} backlog, hung handler, ${m.seconds} s per subject, --max-old-space-size=${m.heapLimitMb}`,
    '',
    ...header(['subject', '**peak RSS**', 'crashed', 'handler calls', 'in queue', 'retrying', 'dead-lettered', '**lost**']),
    ...s.rows.map((r) =>
      row([
        LABELS[r.subject],
        `**${num(r.peakRssMb)} MB**`,
        r.crashed ?? 'no',
        num(r.handlerCalls),
        num(r.remaining),
        num(r.retrying),
        num(r.deadLettered),
        `**${num(r.lost)}**`,
      ]),
    ),
    '',
    ...failures([s, ...s.rows]),
    ...(s.error || s.rows.some((r) => r.error) ? [''] : []),
  ]);
}

function poisonSection(p: PoisonResult): string[] {
  return [
    `## Poison: one message, each library's defaults, ${p.seconds} s`,
    '',
    ...header(['case', 'subject', 'deliveries', 'CPU (subject)', 'CPU (broker)', 'log lines', 'where the message ends'], 2),
    ...p.rows.map((r) =>
      row([r.case, LABELS[r.subject], num(r.deliveries), `${num(r.cpuSeconds, 2)} s`, `${num(r.brokerCpuSeconds, 2)} s`, num(r.logLines), r.endsIn]),
    ),
    '',
    ...failures(p.rows),
  ];
}

function httpSection(h: HttpResult): string[] {
  return [
    `## HTTP: POST /orders → confirmed persistent publish → 202 (Fastify adapter; ${h.rounds} runs of ${h.seconds} s per app and connection count, taking turns)`,
    '',
    ...httpTable(h.rows, 'nest', 'vs Nest'),
    '',
    ...failures(h.rows),
  ];
}

/** The HTTP rows that did not fail, each app's CPU per request compared with `baseline`'s at the same connection count. */
function httpTable(rows: HttpRow[], baseline: HttpAppName, versus: string): string[] {
  const base = (c: number): number | null | undefined => rows.find((r) => r.app === baseline && r.connections === c)?.appCpuUsPerRequest;
  return [
    ...header(['app', 'connections', 'req/s', 'p99', '**app CPU per request**', versus, 'broker CPU per request', 'non-2xx', 'errors']),
    ...rows
      .filter((r) => !r.error)
      .map((r) =>
        row([
          HTTP_LABELS[r.app],
          r.connections,
          num(r.reqPerSec),
          `${num(r.p99Ms)} ms`,
          `**${num(r.appCpuUsPerRequest)} µs**`,
          times(ratio(r.appCpuUsPerRequest, base(r.connections))),
          `${num(r.brokerCpuUsPerRequest)} µs`,
          r.non2xx,
          r.errors,
        ]),
      ),
  ];
}

function outboxSection(o: OutboxResult): string[] {
  const tuples = (label: string, rows: DeadTuples[] = []): string[] =>
    rows.map((t) => row([t.table, label, num(t.live), `**${num(t.dead)}**`, num(t.autovacuums)]));
  return [
    `## Outbox: POST /orders direct vs through the outbox (Fastify adapter; ${o.rounds} runs of ${o.seconds} s per app and connection count, taking turns)`,
    '',
    ...httpTable(o.http, 'warren', 'vs direct'),
    '',
    "The outbox app's CPU includes its relay (claim, publish, confirm, delete of every event); direct answers after the broker's confirm.",
    '',
    ...header(['connections', 'events', '**commit → confirm p50**', '**p99**']),
    ...o.latency.map((l) => row([l.connections, num(l.count), `**${num(l.p50Ms, 1)} ms**`, `**${num(l.p99Ms, 1)} ms**`])),
    '',
    "Commit: the app's `outbox.transaction` returned; confirm: the relay's `onConfirmed` (the broker confirmed the row's batch, before the delete). Targets: p50 20 ms, p99 250 ms.",
    '',
    `### Backlog of ${num(o.backlogRows)} rows (one key each) drained`,
    '',
    ...header(['seconds', '**events/s**', 'raw amqplib events/s', 'relay vs raw', '**relay CPU per event**', 'inbox: events/s claimed'], 0),
    row([
      num(o.backlog?.seconds, 2),
      `**${num(o.backlog?.eventsPerSec)}**`,
      num(o.rawEventsPerSec),
      times(ratio(o.backlog?.eventsPerSec, o.rawEventsPerSec)),
      `**${num(o.backlog?.cpuUsPerEvent, 1)} µs**`,
      num(o.inboxEventsPerSec),
    ]),
    '',
    'Written in one transaction holding warren_outbox locked, while the running relay waits on it; timed from the commit to an empty table. ' +
      "The events go to one queue of the library's default type (quorum), the inbox app's. Target: at least 5,000 events/s. " +
      'Raw amqplib: the same number of events published to the same exchange and queue right after, with confirms, 400 unconfirmed at most ' +
      "(the relay's two batches of 200): what the broker takes from one publisher, with no database. " +
      "CPU: user + system time of the relay's process (the outbox app, idle otherwise). " +
      `Inbox: a second app consuming the first ${num(o.inboxRows)} drained events, one transaction per event (inbox claim only), its start-up included.`,
    '',
    '### Dead tuples',
    '',
    ...header(['table', 'when', 'live', '**dead**', 'autovacuum runs'], 2),
    ...tuples('after the run', o.deadTuplesAfterRun),
    ...tuples('after VACUUM', o.deadTuplesAfterVacuum),
    '',
    ...failures([o]),
  ];
}

/** A horizontal bar chart, one bar per subject, value printed at its end. */
function barChart(title: string, bars: [string, number | null][]): string {
  const max = Math.max(1, ...bars.map(([, value]) => value ?? 0));
  const [left, width, barHeight] = [240, 300, 22];
  const height = 34 + bars.length * (barHeight + 8);
  const escape = (text: string): string => text.replace(/&/g, '&amp;').replace(/</g, '&lt;');
  const body = bars.map(([label, value], i) => {
    const y = 28 + i * (barHeight + 8);
    const w = value == null ? 0 : Math.max(1, (value / max) * width);
    const fill = label.startsWith('warren') ? '#2b6cb0' : '#a0aec0';
    return (
      `<text x="${left - 8}" y="${y + 15}" text-anchor="end">${escape(label)}</text>` +
      `<rect x="${left}" y="${y}" width="${w.toFixed(1)}" height="${barHeight}" fill="${fill}"/>` +
      `<text x="${left + w + 6}" y="${y + 15}">${value == null ? 'failed' : num(value, value < 100 ? 1 : 0)}</text>`
    );
  });
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${left + width + 70}" height="${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="100%" height="100%" fill="white"/><text x="8" y="16" font-weight="bold">${escape(title)}</text>`,
    ...body,
    '</svg>',
    '',
  ].join('\n');
}
