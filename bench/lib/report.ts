import { mkdirSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { machineInfo } from './machine.js';
import { barChart, type LineSeries, lineChart, PALETTE } from './svg.js';
import type { BenchResults, CodecResult, DrainResult, HttpResult, MemoryResult, MemoryScenarioResult, PoisonResult } from './results.js';
import { RESULTS_DIR } from './util.js';

const SUBJECT_COLORS: Record<string, string> = {
  warren: PALETTE[0],
  demo: PALETTE[3],
  'nest-default': PALETTE[1],
  'nest-tuned': PALETTE[2],
  'warren-default-budget': PALETTE[4],
  nest: PALETTE[1],
  raw: PALETTE[5],
};

/** Targets from the issues (#7 drain/HTTP, #4 memory), checked in the report. */
export const TARGETS = {
  drainWarrenOverRaw: 0.9,
  drainWarrenOverNest: 1.15,
  /** issue 14: warren's CPU per 1,000 drained messages at most this × raw amqplib's */
  drainCpuWarrenOverRaw: 1.25,
  httpWarrenOverNest: 1.0,
  /** issue 14: app CPU per request at most this × the Nest built-in client app's */
  httpCpuWarrenOverNest: 0.7,
  /** issue 14: Fastify becomes the service's default if it costs at most this × Express per request */
  httpFastifyOverExpress: 0.75,
  memoryPeakMb: 150,
};

const n = (value: number | null | undefined, digits = 0): string =>
  value == null || !Number.isFinite(value) ? '—' : value.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
const x = (value: number | null | undefined): string => (value == null ? '—' : `${value.toFixed(2)}×`);
const us = (value: number | null | undefined): string => (value == null ? '—' : `${n(value)} µs`);
const check = (ok: boolean | null): string => (ok == null ? '' : ok ? ' ✅' : ' ❌');

/** Chart file names: plain for the full run (`results`), prefixed for a single scenario's run. */
export function chartName(base: string, chart: string): string {
  return base === 'results' ? `${chart}.svg` : `${base}.${chart}.svg`;
}

export function markdown(results: BenchResults, base = 'results'): string {
  const out: string[] = [];
  out.push('# warren benchmarks', '');
  if (results.command) {
    out.push(`Command: \`${results.command}\`${results.durationSeconds ? ` — took ${Math.round(results.durationSeconds)} s` : ''}`, '');
  }
  const m = results.machine;
  if (m) {
    out.push('| machine | |', '|---|---|');
    out.push(`| CPU | ${m.cpuModel} |`, `| cores | ${m.cores} |`, `| RAM | ${m.ramGb} GB |`, `| OS | ${m.os} |`);
    out.push(
      `| Node.js | ${m.node} |`,
      `| RabbitMQ | ${m.rabbitmq} |`,
      `| date | ${m.date} |`,
      `| load average at the end | ${m.loadAverage.join(' / ')} |`,
      '',
    );
  }
  out.push(
    'Each subject runs as its own `node` child process, one after another, against the same broker in the same run; ' +
      'absolute numbers drift between runs on a shared machine, the ratios measured side by side are what count.',
    '',
  );
  if (results.drain) {
    out.push(...drainSection(results.drain));
  }
  if (results.http) {
    out.push(...httpSection(results.http));
  }
  if (results.drain || results.http) {
    out.push(`![throughput](${chartName(base, 'throughput')})`, '');
  }
  if (results.memory) {
    out.push(...memorySection(results.memory, base));
  }
  if (results.poison) {
    out.push(...poisonSection(results.poison));
  }
  if (results.codec) {
    out.push(...codecSection(results.codec));
  }
  return out.join('\n');
}

function poisonSection(p: PoisonResult): string[] {
  const out: string[] = [`## Poison: one message, ${p.seconds} s, each library with its defaults`, ''];
  out.push(
    '| case | subject | deliveries | handler calls | CPU s (subject) | CPU s (broker) | log lines | where the message ends |',
    '|---|---|---:|---:|---:|---:|---:|---|',
  );
  for (const r of p.rows) {
    out.push(
      `| ${r.case === 'throw' ? 'handler always throws' : 'invalid JSON'} | ${r.label} | ${r.error ? `failed: ${r.error.slice(0, 100)}` : n(r.deliveries)} | ${n(r.handlerCalls)} | ${n(r.cpuSeconds, 2)} | ${n(r.brokerCpuSeconds, 2)} | ${n(r.logLines)} | ${r.endsIn} |`,
    );
  }
  out.push(
    '',
    'Deliveries: basic.deliver frames the process received (counted inside amqplib, so an invalid body no handler sees counts too). ' +
      'The window starts when the subject is consuming; the message is looked for after the subject is killed.',
    '',
  );
  return out;
}

function drainSection(d: DrainResult): string[] {
  const out: string[] = [];
  const rounds = Math.max(1, ...d.subjects.map((s) => s.cpuRounds?.length ?? 1));
  out.push(
    `## 1. Drain ${n(d.n)} × 1 KB, no-op handler, prefetch ${d.prefetch} (${d.queueType} queues)${rounds > 1 ? `, ${rounds} rounds` : ''}`,
    '',
  );
  if (rounds > 1) {
    out.push(
      `The subjects took turns, ${rounds} rounds; each row is the subject's median round by CPU per message, and the last column lists every round's CPU per 1k msgs in run order.`,
      '',
    );
  }
  out.push(
    `| subject | **CPU per 1k msgs** (subject) | CPU per 1k msgs (broker) | effective prefetch | msg/s | vs raw | drain time | peak RSS | left in queue | fill rate |${rounds > 1 ? ' CPU per 1k msgs, each round |' : ''}`,
    `|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|${rounds > 1 ? '---|' : ''}`,
  );
  const raw = d.subjects.find((s) => s.subject === 'raw')?.msgPerSec ?? null;
  for (const s of d.subjects) {
    out.push(
      `| ${s.label} | **${n(s.cpuMsPer1k, 1)} ms** | ${n(s.brokerCpuMsPer1k, 1)} ms | ${n(s.prefetch)} | ${s.error ? `failed: ${s.error.slice(0, 120)}` : n(s.msgPerSec)} | ${x(raw && s.msgPerSec ? s.msgPerSec / raw : null)} | ${n(s.seconds, 1)} s | ${n(s.peakRssMb)} MB | ${n(s.remaining)} | ${n(s.fillRate)} msg/s |${rounds > 1 ? ` ${s.cpuRounds ? `${s.cpuRounds.map((cpu) => n(cpu, 1)).join(' / ')} ms` : 'one round'} |` : ''}`,
    );
  }
  out.push('');
  out.push(
    `CPU per 1k msgs: **warren / raw = ${x(d.ratios.cpuWarrenOverRaw)}**${check(d.ratios.cpuWarrenOverRaw == null ? null : d.ratios.cpuWarrenOverRaw <= TARGETS.drainCpuWarrenOverRaw)} (target ≤ ${TARGETS.drainCpuWarrenOverRaw}), ` +
      `**warren / golevelup = ${x(d.ratios.cpuWarrenOverGolevelup)}**${check(d.ratios.cpuWarrenOverGolevelup == null ? null : d.ratios.cpuWarrenOverGolevelup < 1)} (target < 1).`,
    '',
  );
  out.push(
    `Throughput ratios: **warren / raw = ${x(d.ratios.warrenOverRaw)}**${check(d.ratios.warrenOverRaw == null ? null : d.ratios.warrenOverRaw >= TARGETS.drainWarrenOverRaw)} (target ≥ ${TARGETS.drainWarrenOverRaw}), ` +
      `**warren / Nest = ${x(d.ratios.warrenOverNest)}**${check(d.ratios.warrenOverNest == null ? null : d.ratios.warrenOverNest >= TARGETS.drainWarrenOverNest)} (target ≥ ${TARGETS.drainWarrenOverNest}), ` +
      `Nest / raw = ${x(d.ratios.nestOverRaw)}; warren with its default byte budget: / raw = ${x(d.ratios.defaultBudgetOverRaw)}, / Nest = ${x(d.ratios.defaultBudgetOverNest)}.`,
    '',
    '"budget 25 MiB": maxInFlightBytes raised so that warren\'s prefetch cap (maxInFlightBytes / maxMessageBytes) lets prefetch 100 apply; ' +
      '"default budget": `@HandleEvent(..., { prefetch: 100 })` with warren\'s defaults, where the cap lowers it (effective prefetch column). ' +
      "CPU per 1k msgs: user + system time of the subject process (all its threads, GC helpers included: `process.cpuUsage()`) from the end of the warm-up (the first tenth of the messages, where JIT and first-use costs fall) to the N-th message, per message after the warm-up; the broker's over the same span; " +
      'the broker shares the same cores, so msg/s is bounded by both.',
    '',
  );
  return out;
}

function httpSection(h: HttpResult): string[] {
  const out: string[] = [];
  const rounds = h.rounds ?? 1;
  out.push(
    `## 2. HTTP POST /orders → confirmed persistent publish → 202 (autocannon; per app and connection count ${h.warmupSeconds} s warm-up, then ` +
      `${rounds > 1 ? `${rounds} runs of ${h.seconds} s, the apps taking turns (the demo runs once)` : `one run of ${h.seconds} s`})`,
    '',
  );
  out.push(...httpAppsTable(h));
  out.push('');
  out.push(
    `Raw amqplib confirmed-publish ceiling (confirm channel, window ${h.rawCeiling.window}, persistent ${h.rawCeiling.messageBytes} B, ${h.rawCeiling.seconds} s): ` +
      `**${h.rawCeiling.error ? `failed: ${h.rawCeiling.error}` : `${n(h.rawCeiling.msgPerSec)} msg/s`}**`,
    '',
  );
  out.push(...brokerShapesTable(h.brokerShapes));
  out.push(...httpRatiosTable(h));
  out.push('');
  const stores = h.apps.filter((a) => a.stored != null);
  if (stores.length > 0) {
    out.push(
      'Accepted vs stored (every 202 must be in the queue): ' +
        stores
          .map((a) => `${a.label}: ${n(a.accepted)} answered 202, ${n(a.stored)} stored${(a.stored ?? 0) >= a.accepted ? ' ✅' : ' ❌'}`)
          .join('; ') +
        '.',
      '',
    );
  }
  out.push(
    "req/s: all 2xx answers over all runs; p50 and p99: the median of the runs' (autocannon reports percentiles per run). " +
      'CPU/req: user + system time of the app process (/proc/<pid>/stat) and of the broker (its beam process, when local) during the measured run, divided by the 202s. ' +
      'autocannon, the app and the broker share the same cores, so req/s is bounded by all three.',
    '',
  );
  out.push(
    'The demo service also consumes its own events (inventory + notifications handlers) in the same process; the minimal apps only publish.',
    '',
  );
  return out;
}

/** One row per app and connection count (or the reason an app failed). */
function httpAppsTable(h: HttpResult): string[] {
  const out: string[] = [];
  out.push(
    '| app | connections | req/s | p50 | p99 | p99 of each run | max | CPU/req app | CPU/req broker | non-2xx | errors |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
  );
  for (const app of h.apps) {
    if (app.error && app.runs.length === 0) {
      out.push(`| ${app.label} | — | failed: ${app.error.slice(0, 120)} | | | | | | | | |`);
    }
    for (const r of app.runs) {
      out.push(
        `| ${app.label} | ${r.connections} | ${n(r.reqPerSec)} | ${n(r.p50Ms)} ms | ${n(r.p99Ms)} ms | ${(r.rounds ?? []).map((one) => n(one.p99Ms)).join(' / ') || '—'} | ${n(r.maxMs)} ms | ${us(r.appCpuUsPerRequest)} | ${us(r.brokerCpuUsPerRequest)} | ${n(r.non2xx)} | ${n(r.errors)} |`,
      );
    }
  }
  return out;
}

/** The broker's confirm rate and latency for each client's message shape, when they were measured. */
function brokerShapesTable(shapes: HttpResult['brokerShapes']): string[] {
  const out: string[] = [];
  if (shapes) {
    out.push(
      `The broker's part, without HTTP or either client library: raw amqplib keeps ${shapes.inFlight} persistent publishes waiting for confirms (like ${shapes.inFlight} connections each waiting for its 202), ` +
        `in each client's message shape, ${shapes.shapes[0]?.runs.length ?? 0} runs of ${shapes.seconds} s each, taking turns:`,
      '',
      '| message shape | confirms/s | confirm p50 | confirm p99 | p99 of each run |',
      '|---|---:|---:|---:|---:|',
    );
    for (const shape of shapes.shapes) {
      out.push(
        shape.error
          ? `| ${shape.label} | failed: ${shape.error.slice(0, 120)} | | | |`
          : `| ${shape.label} | ${n(shape.msgPerSec)} | ${n(shape.p50Ms, 1)} ms | ${n(shape.p99Ms, 1)} ms | ${shape.runs.map((r) => n(r.p99Ms)).join(' / ')} |`,
      );
    }
    out.push('');
  }
  return out;
}

/** warren and the demo against Nest, and each against the raw ceiling, at each connection count. */
function httpRatiosTable(h: HttpResult): string[] {
  const out: string[] = [];
  out.push(
    '| connections | warren / Nest req/s | warren p99 / Nest p99 | demo / Nest req/s | demo p99 / Nest p99 | Nest / raw | warren / raw |',
    '|---:|---:|---:|---:|---:|---:|---:|',
  );
  for (const r of h.ratios) {
    out.push(
      `| ${r.connections} | ${x(r.warrenOverNest)}${check(r.warrenOverNest == null ? null : r.warrenOverNest >= TARGETS.httpWarrenOverNest)} | ${x(r.warrenP99OverNest)}${check(r.warrenP99OverNest == null ? null : r.warrenP99OverNest < 1)} | ${x(r.demoOverNest)} | ${x(r.demoP99OverNest)} | ${x(r.nestOverRaw)} | ${x(r.warrenOverRaw)} |`,
    );
  }
  out.push(
    '',
    '| connections | app CPU per request: warren / Nest | warren on Fastify / Nest | golevelup / Nest | warren: Fastify / Express |',
    '|---:|---:|---:|---:|---:|',
  );
  for (const r of h.ratios) {
    const cpuCheck = (value: number | null | undefined, target: number): string => `${x(value)}${check(value == null ? null : value <= target)}`;
    out.push(
      `| ${r.connections} | ${cpuCheck(r.warrenCpuOverNest, TARGETS.httpCpuWarrenOverNest)} | ${cpuCheck(r.warrenFastifyCpuOverNest, TARGETS.httpCpuWarrenOverNest)} | ${x(r.golevelupCpuOverNest)} | ${cpuCheck(r.fastifyCpuOverExpress, TARGETS.httpFastifyOverExpress)} |`,
    );
  }
  out.push(
    '',
    `Targets (issue 14): app CPU per request ≤ ${TARGETS.httpCpuWarrenOverNest}× the Nest built-in client app's; Fastify is adopted for the service if it costs ≤ ${TARGETS.httpFastifyOverExpress}× Express.`,
  );
  return out;
}

function memorySection(mem: MemoryResult, base: string): string[] {
  const out: string[] = [];
  out.push(`## 3. Memory: backlog + hung handler, heap limit ${mem.heapLimitMb} MB, RSS sampled every ${mem.sampleEveryMs} ms`, '');
  for (const s of mem.scenarios) {
    out.push(`### Scenario ${s.id}: ${s.label} backlog, ${s.seconds} s per subject`, '');
    if (s.error) {
      out.push(`Scenario failed: ${s.error}`, '');
    }
    out.push(
      '| subject | prefetch | peak RSS | RSS at end | crashed | handler calls | left in queue | in retry queues | dead-lettered | lost |',
      '|---|---:|---:|---:|---|---:|---:|---:|---:|---:|',
    );
    for (const r of s.subjects) {
      const crash = r.crashed ? `**yes** at ${n(r.crashAtSeconds, 1)} s${r.heapOutOfMemory ? ' (heap OOM)' : ''}` : 'no';
      const warrenish = r.subject === 'warren' || r.subject === 'demo';
      const peakOk = warrenish && r.peakRssMb != null ? r.peakRssMb <= TARGETS.memoryPeakMb : null;
      const lostOk = warrenish && r.lost != null ? r.lost === 0 : null;
      out.push(
        `| ${r.label} | ${r.prefetch == null ? 'none' : n(r.prefetch)} | ${n(r.peakRssMb)} MB${check(peakOk)} | ${n(r.endRssMb)} MB | ${crash} | ${n(r.handlerCalls)} | ${n(r.remaining)} | ${n(r.retrying)} | ${n(r.deadLettered)} | ${r.lost == null ? '—' : `**${n(r.lost)}**`}${check(lostOk)} |`,
      );
    }
    out.push('');
    const notes = s.subjects.flatMap((r) => [...r.notes.map((note) => `${r.label}: ${note}`), ...(r.error ? [`${r.label}: error: ${r.error}`] : [])]);
    const demo = s.subjects.find((r) => r.inventory);
    if (demo?.inventory) {
      const i = demo.inventory;
      notes.push(
        `demo inventory handler (not hung): ${n(i.initial)} queued, ${n(i.remaining)} left, ${n(i.retrying)} in retry queues, ${n(i.deadLettered)} dead-lettered, ` +
          `${n(i.followUps)} follow-up events published → ${n(i.unaccounted)} unaccounted (negative = redelivered after the kill, i.e. duplicates)`,
      );
    }
    for (const note of notes) {
      out.push(`- ${note}`);
    }
    if (notes.length > 0) {
      out.push('');
    }
    out.push(`![RSS over time, scenario ${s.id}](${chartName(base, `memory-${s.id}`)})`, '');
  }
  out.push(
    `Targets for warren (issue 4): peak RSS ≤ ${TARGETS.memoryPeakMb} MB in both scenarios, 0 lost, no crash; in the large-message scenario below the hand-tuned built-in. ` +
      "lost = initial − (ready + unacked after the consumer is gone) − copies in warren's retry queues − dead-lettered − acked (0 with a hung handler). " +
      '"handler calls" counts handler invocations (redeliveries and retries included).',
    '',
  );
  return out;
}

function codecSection(c: CodecResult): string[] {
  const out: string[] = ['## 4. Codecs', ''];
  if (c.skipped) {
    out.push(`Skipped: ${c.reason}.`, '');
    return out;
  }
  out.push('| payload | codec | content-type | JSON bytes | encoded bytes | size vs JSON | encode+decode |', '|---|---|---|---:|---:|---:|---:|');
  for (const r of c.measures) {
    out.push(
      `| ${r.payload} | ${r.codec} | ${r.contentType} | ${n(r.jsonBytes)} | ${n(r.encodedBytes)} | ${x(r.sizeRatio)} | ${n(r.encodeDecodeMicros, 1)} µs |`,
    );
  }
  out.push('');
  return out;
}

export function memoryChart(scenario: MemoryScenarioResult, heapLimitMb: number): string {
  const series: LineSeries[] = scenario.subjects.map((r) => ({
    name: r.label,
    color: SUBJECT_COLORS[r.subject],
    points: r.samples.map((s) => ({ x: s.t / 1000, y: s.rssMb })),
    endMarker: r.crashed ? (r.heapOutOfMemory ? 'heap OOM' : 'crashed') : undefined,
  }));
  return lineChart({
    title: `RSS with a hung handler — ${scenario.label} backlog`,
    xLabel: 'seconds since process start',
    yLabel: 'RSS (MB)',
    series,
    hLines: [
      { y: heapLimitMb, label: `heap limit (--max-old-space-size=${heapLimitMb})` },
      { y: TARGETS.memoryPeakMb, label: `target ${TARGETS.memoryPeakMb} MB` },
    ],
  });
}

export function throughputChart(results: BenchResults): string | undefined {
  const groups = [];
  if (results.drain) {
    groups.push({
      label: `Drain ${n(results.drain.n)} × 1 KB (msg/s)`,
      bars: results.drain.subjects.map((s) => ({
        name: s.label,
        value: s.msgPerSec,
        color: SUBJECT_COLORS[s.subject],
        note: s.error ? 'failed' : undefined,
      })),
    });
  }
  if (results.http) {
    for (const c of results.http.connections) {
      groups.push({
        label: `HTTP POST /orders, ${c} connections (req/s)`,
        bars: results.http.apps.map((a) => ({
          name: a.label,
          value: a.runs.find((r) => r.connections === c)?.reqPerSec ?? null,
          color: SUBJECT_COLORS[a.app],
          note: a.error ? 'failed' : undefined,
        })),
      });
    }
    groups.push({
      label: 'Raw amqplib confirmed publish, window 500 (msg/s)',
      bars: [{ name: 'raw amqplib', value: results.http.rawCeiling.msgPerSec, color: SUBJECT_COLORS.raw }],
    });
  }
  if (groups.length === 0) {
    return undefined;
  }
  return barChart({ title: 'Throughput (higher is better), one run, same broker', unit: '/s', groups });
}

/**
 * Writes `<base>.json`, `<base>.md` and the charts into bench/results/, prints the markdown to
 * stdout. `base` is 'results' for the full run, the scenario name for a single scenario.
 */
export async function writeReport(results: BenchResults, base: string): Promise<BenchResults> {
  mkdirSync(RESULTS_DIR, { recursive: true });
  const full: BenchResults = {
    ...results,
    command: results.command ?? `node ${process.argv.slice(1).join(' ')}`,
    machine: results.machine ?? (await machineInfo(results.rabbitmqVersion)),
  };
  writeFileSync(resolve(RESULTS_DIR, `${base}.json`), `${JSON.stringify(full, null, 2)}\n`);
  const md = markdown(full, base);
  writeFileSync(resolve(RESULTS_DIR, `${base}.md`), `${md}\n`);
  if (full.memory) {
    for (const scenario of full.memory.scenarios) {
      writeFileSync(resolve(RESULTS_DIR, chartName(base, `memory-${scenario.id}`)), `${memoryChart(scenario, full.memory.heapLimitMb)}\n`);
    }
  }
  const bars = throughputChart(full);
  if (bars) {
    writeFileSync(resolve(RESULTS_DIR, chartName(base, 'throughput')), `${bars}\n`);
  }
  process.stdout.write(`${md}\n`);
  return full;
}
