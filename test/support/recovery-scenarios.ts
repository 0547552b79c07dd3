/**
 * Broker and network faults under steady HTTP load on the real service, with the books kept:
 * every 202 is an accepted event, every `mail to` line a processed one. Shared by the e2e tests
 * (test/faults/recovery.e2e-spec.ts, test/faults/cluster.e2e-spec.ts) and `bench/recovery.ts`, which prints the
 * table of results.
 *
 * One scenario = a fresh service process (own SERVICE_NAME and exchange, so queues never mix) on
 * a broker the caller owns, `RECOVERY_LOAD_RATE` (default 50) POST /users per second, a warm-up,
 * the fault, a few seconds of load after recovery, then the drain: every accepted email must be
 * mailed within `RECOVERY_DRAIN_TIMEOUT_MS` (default 60 s). Nothing here touches the shared broker.
 */
import { randomBytes } from 'node:crypto';
import { CLUSTER_NODES, clusterQueues, killClusterNode, nodeOfPort } from './cluster.js';
import type { DisposableBroker } from './disposable-broker.js';
import { freePort } from './free-port.js';
import { LoadGenerator, mailedEmails, type Tally, tally } from './load-ledger.js';
import { type LogEvent, LogWatch } from './service-log-watch.js';
import { ServiceProcess } from './service-process.js';
import type { TcpProxy } from './tcp-proxy.js';

export interface ScenarioResult extends Tally {
  fault: string;
  /**
   * ms from "the broker is back" to the first message mailed after it (one entry per fault
   * round). What "back" means is per fault: `startAgain()` resolved; the connections were closed
   * (the broker never left); the proxy thawed; the node was killed (another node took over); the
   * service was SIGKILLed (a new process has to start).
   */
  recoveryMs: number[];
  /** ms from "back" to the first 202 after it (publishing recovered), when there was one */
  firstAcceptedMs?: number;
  /** freeze only: ms from the freeze to the service logging each connection as dead */
  detectionMs?: { publisher?: number; consumer?: number };
  notes: string[];
  /** whatever else the fault measured (e.g. quorum members), for the test to assert */
  extra: Record<string, unknown>;
  /** the service's last non-mail log lines, for a failure message */
  logTail: string;
  /** 202s per second over the run, for the record */
  rate: number;
  durationMs: number;
}

export interface FaultOutcome {
  recoveryMs: number[];
  firstAcceptedMs?: number;
  detectionMs?: { publisher?: number; consumer?: number };
  notes?: string[];
  extra?: Record<string, unknown>;
}

/** What a fault can see and do while the load runs. */
export interface Run {
  /** SERVICE_NAME of this run; its handler queues are `<serviceName>.<handler>` */
  serviceName: string;
  load: LoadGenerator;
  /** log watch of the current service process */
  watch(): LogWatch;
  service(): ServiceProcess;
  /** Starts a new service process with the same env and port (after the old one died). */
  restart(): Promise<ServiceProcess>;
  /** accepted emails not mailed yet */
  unprocessed(): number;
}

export interface ScenarioOptions {
  /** A short name, part of SERVICE_NAME. */
  slug: string;
  /** AMQP_URL of the service (a disposable node, a proxy in front of it, or the cluster) */
  amqpUrl: string;
  env?: Record<string, string>;
  warmupMs?: number;
  /** Load keeps running this long after the fault returned (default 3 s). */
  afterMs?: number;
  ratePerSecond?: number;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

function envNumber(name: string, fallback: number): number {
  const value = Number(process.env[name]);
  return Number.isFinite(value) && value > 0 ? value : fallback;
}

export const LOAD_RATE = envNumber('RECOVERY_LOAD_RATE', 50);
const DRAIN_TIMEOUT_MS = envNumber('RECOVERY_DRAIN_TIMEOUT_MS', 60_000);

/**
 * Starts the service, runs the load, injects the fault, drains and tallies. Never throws for
 * a loss (the result says `lost`); throws when the service or the fault itself fails, with the
 * service's log tail.
 */
export async function runScenario(fault: string, options: ScenarioOptions, inject: (run: Run) => Promise<FaultOutcome>): Promise<ScenarioResult> {
  const serviceName = `rec-${options.slug}-${randomBytes(3).toString('hex')}`;
  const port = Number(await freePort());
  const env: Record<string, string> = {
    AMQP_URL: options.amqpUrl,
    PORT: String(port),
    SERVICE_NAME: serviceName,
    EVENTS_EXCHANGE: `${serviceName}.events`,
    MAILER_DELAY_MS: '0',
    ...options.env,
  };
  const services: ServiceProcess[] = [];
  const watches: LogWatch[] = [];
  let load: LoadGenerator | undefined;
  const started = Date.now();
  const startService = async () => {
    const service = await ServiceProcess.start(env, 45_000);
    const watch = new LogWatch();
    watch.attach(service);
    services.push(service);
    watches.push(watch);
    return service;
  };
  const tail = () => watches.map((w, i) => `--- service process ${i + 1} ---\n${w.tail()}`).join('\n');
  try {
    await startService();
    load = LoadGenerator.start({ port: () => port, ratePerSecond: options.ratePerSecond ?? LOAD_RATE, emailPrefix: serviceName });
    const activeLoad = load;
    const distinctMailed = () =>
      new Set(
        mailedEmails(
          services.map((s) => s.logs),
          serviceName,
        ),
      );
    const run: Run = {
      serviceName,
      load: activeLoad,
      watch: () => watches[watches.length - 1],
      service: () => services[services.length - 1],
      restart: startService,
      unprocessed: () => {
        const mailed = distinctMailed();
        return [...activeLoad.accepted].filter((email) => !mailed.has(email)).length;
      },
    };
    await sleep(options.warmupMs ?? 3_000);
    if (activeLoad.accepted.size === 0 || run.watch().count('mail') === 0) {
      throw new Error(`no steady state before the fault: ${JSON.stringify(activeLoad.counts())}`);
    }
    let outcome: FaultOutcome;
    try {
      outcome = await inject(run);
    } catch (error) {
      throw new Error(`${fault}: ${(error as Error).message}`, { cause: error });
    }
    await sleep(options.afterMs ?? 3_000);
    await activeLoad.stop();

    // Drain: every accepted email mailed, then quiet for 2 s (late redeliveries are duplicates).
    const drainDeadline = Date.now() + DRAIN_TIMEOUT_MS;
    while (run.unprocessed() > 0 && Date.now() < drainDeadline) {
      await sleep(250);
    }
    let lines = -1;
    while (Date.now() < drainDeadline) {
      const now = mailedEmails(
        services.map((s) => s.logs),
        serviceName,
      ).length;
      if (now === lines) break;
      lines = now;
      await sleep(2_000);
    }
    const counts = tally(
      activeLoad,
      services.map((s) => s.logs),
      serviceName,
    );
    const durationMs = Date.now() - started;
    return {
      fault,
      ...counts,
      recoveryMs: outcome.recoveryMs,
      firstAcceptedMs: outcome.firstAcceptedMs,
      detectionMs: outcome.detectionMs,
      notes: [...(outcome.notes ?? []), ...(activeLoad.failureSamples.length ? [`failures: ${activeLoad.failureSamples.join(', ')}`] : [])],
      extra: outcome.extra ?? {},
      logTail: tail(),
      rate: Math.round((counts.accepted / durationMs) * 1000 * 10) / 10,
      durationMs,
    };
  } catch (error) {
    throw new Error(`${(error as Error).message}\n${tail()}`, { cause: error });
  } finally {
    await load?.stop();
    await Promise.all(
      services.map(async (service) => {
        if (service.child.exitCode === null && service.child.signalCode === null) {
          service.signal('SIGTERM');
          await service.exit(20_000);
        }
      }),
    );
  }
}

/** Waits for the service's publisher and consumer to log a disconnect at or after `since`. */
async function bothDisconnected(watch: LogWatch, since: number, timeoutMs: number): Promise<{ publisher: LogEvent; consumer: LogEvent }> {
  const [publisher, consumer] = await Promise.all([
    watch.next('disconnected', since, timeoutMs, 'publisher'),
    watch.next('disconnected', since, timeoutMs, 'consumer'),
  ]);
  return { publisher, consumer };
}

/**
 * After "back" at `back`: waits for the first mail line (consuming works again) AND the first
 * 202 (publishing works again) — so the load never stops before both sides recovered — and
 * says when each connection came back and how often it had failed to, since `faultAt`.
 */
async function recoveredAfter(
  run: Run,
  back: number,
  faultAt: number,
  timeoutMs = 90_000,
): Promise<{ recoveryMs: number; firstAcceptedMs: number; notes: string[]; failedAttempts: Record<'publisher' | 'consumer', number> }> {
  const mail = await run.watch().next('mail', back, timeoutMs);
  const deadline = back + timeoutMs;
  let firstAccepted = run.load.firstAcceptedAfter(back);
  while (firstAccepted === undefined && Date.now() < deadline) {
    await sleep(50);
    firstAccepted = run.load.firstAcceptedAfter(back);
  }
  if (firstAccepted === undefined) {
    throw new Error(`no 202 within ${timeoutMs} ms after the broker was back (publisher never recovered)`);
  }
  const watch = run.watch();
  const failedAttempts = { publisher: 0, consumer: 0 };
  const notes = (['publisher', 'consumer'] as const).map((role) => {
    const connected = watch.firstAfter('connected', faultAt, role);
    const failed = watch.events.filter((e) => e.kind === 'connect-failed' && e.role === role && e.at >= faultAt).length;
    failedAttempts[role] = failed;
    const when = connected ? `${((connected.at - back) / 1000).toFixed(2)} s after back` : 'not yet';
    return `${role} reconnected ${when} (${failed} failed attempts)`;
  });
  return { recoveryMs: mail.at - back, firstAcceptedMs: firstAccepted - back, notes, failedAttempts };
}

// ---------------------------------------------------------------------------------------------
// The faults

/** 1. `rabbitmqctl stop`, down for `downMs`, then the same node again (durable data kept). */
export function brokerStopStart(broker: DisposableBroker, downMs = 2_000) {
  return async (run: Run): Promise<FaultOutcome> => {
    const stopAt = Date.now();
    await broker.stop();
    const stoppedMs = Date.now() - stopAt;
    await bothDisconnected(run.watch(), stopAt, 30_000);
    await sleep(downMs);
    await broker.startAgain();
    const back = Date.now();
    const { recoveryMs, firstAcceptedMs, notes, failedAttempts } = await recoveredAfter(run, back, stopAt);
    return {
      recoveryMs: [recoveryMs],
      firstAcceptedMs,
      notes: [`stop took ${stoppedMs} ms; broker away ${back - stopAt} ms`, ...notes],
      extra: { awayMs: back - stopAt, failedAttempts },
    };
  };
}

/**
 * 2. `rabbitmqctl close_all_connections` `rounds` times; each round waits for mail to flow again.
 * Run it with a slow mailer (MAILER_DELAY_MS > 0): handlers still running when their channel
 * dies finish on the next one, and must NOT ack there (a stale delivery tag would make the
 * broker close the new channel with 406 "unknown delivery tag", which amqplib 2 turns into a
 * closed connection: an extra disconnect). `extra` counts both.
 */
export function closeAllConnections(broker: DisposableBroker, rounds = 10) {
  return async (run: Run): Promise<FaultOutcome> => {
    const recoveryMs: number[] = [];
    const firstAccepted: number[] = [];
    const startedAt = Date.now();
    for (let round = 1; round <= rounds; round++) {
      const before = Date.now();
      await broker.ctl(['close_all_connections', '--global', `recovery test round ${round}`], { timeoutMs: 30_000 });
      const { publisher, consumer } = await bothDisconnected(run.watch(), before, 30_000);
      const closedAt = Math.min(publisher.at, consumer.at);
      const reconnected = await run.watch().next('connected', closedAt, 60_000, 'consumer');
      const mail = await run.watch().next('mail', reconnected.at, 60_000);
      recoveryMs.push(mail.at - closedAt);
      const accepted = run.load.firstAcceptedAfter(closedAt);
      if (accepted !== undefined) firstAccepted.push(accepted - closedAt);
      await sleep(500);
    }
    await sleep(1_000); // late stale acks would show up as one more disconnect
    const disconnects = run.watch().events.filter((e) => e.kind === 'disconnected' && e.at >= startedAt);
    const extra = {
      consumerDisconnects: disconnects.filter((e) => e.role === 'consumer').length,
      publisherDisconnects: disconnects.filter((e) => e.role === 'publisher').length,
      staleAckErrors: run.watch().events.filter((e) => /unknown delivery tag/i.test(e.line)).length,
    };
    return {
      recoveryMs,
      firstAcceptedMs: firstAccepted.length ? Math.max(...firstAccepted) : undefined,
      notes: [
        `${rounds} rounds; ${extra.consumerDisconnects} consumer / ${extra.publisherDisconnects} publisher disconnects; ${extra.staleAckErrors} "unknown delivery tag" errors`,
      ],
      extra,
    };
  };
}

/** 3. SIGKILL of the broker's VM, down for `downMs`, then the same node again. */
export function brokerKill(broker: DisposableBroker, downMs = 2_000) {
  return async (run: Run): Promise<FaultOutcome> => {
    const killAt = Date.now();
    await broker.kill();
    await bothDisconnected(run.watch(), killAt, 30_000);
    await sleep(downMs);
    await broker.startAgain();
    const back = Date.now();
    const { recoveryMs, firstAcceptedMs, notes } = await recoveredAfter(run, back, killAt);
    return { recoveryMs: [recoveryMs], firstAcceptedMs, notes: [`broker away ${back - killAt} ms`, ...notes] };
  };
}

/**
 * 4. A proxy between service and broker stops forwarding (nothing closed) until the service's
 * heartbeat check declares the connections on it dead. With `thaw` (default) traffic then flows
 * again through the proxy and "back" is the thaw; without it the proxy stays frozen for good,
 * the service must move on to another URL of AMQP_URL, and "back" is the moment it declared the
 * last connection dead. Given several proxies, the one the consumer connection uses is frozen
 * (a fresh service may have moved a connection to another URL already).
 */
export function proxyFreeze(proxies: TcpProxy | TcpProxy[], { thaw = true }: { thaw?: boolean } = {}) {
  const all = Array.isArray(proxies) ? proxies : [proxies];
  return async (run: Run): Promise<FaultOutcome> => {
    const portOf = (role: 'publisher' | 'consumer') => {
      const lines = run.watch().events.filter((e) => e.kind === 'connected' && e.role === role);
      return Number(/connected to amqps?:\/\/[^@\s]*@[^:\s]+:(\d+)/.exec(lines[lines.length - 1]?.line ?? '')?.[1]);
    };
    const proxy = all.find((p) => p.port === portOf('consumer'));
    if (!proxy) {
      throw new Error(`the consumer connection is on port ${portOf('consumer')}, behind none of the proxies (${all.map((p) => p.port).join(', ')})`);
    }
    const roles = (['publisher', 'consumer'] as const).filter((role) => portOf(role) === proxy.port);
    const frozenAt = Date.now();
    proxy.freeze();
    const dead = await Promise.all(roles.map((role) => run.watch().next('disconnected', frozenAt, 90_000, role)));
    const detectionMs: { publisher?: number; consumer?: number } = {};
    roles.forEach((role, i) => (detectionMs[role] = dead[i].at - frozenAt));
    let back: number;
    if (thaw) {
      proxy.thaw();
      back = Date.now();
    } else {
      back = Math.max(...dead.map((e) => e.at));
    }
    const { recoveryMs, firstAcceptedMs, notes } = await recoveredAfter(run, back, frozenAt);
    const reconnected = run.watch().firstAfter('connected', frozenAt, 'consumer');
    const seconds = (ms?: number) => (ms === undefined ? 'n/a (not on the proxy)' : `${(ms / 1000).toFixed(1)} s`);
    return {
      recoveryMs: [recoveryMs],
      firstAcceptedMs,
      detectionMs,
      notes: [
        `dead connection detected after ${seconds(detectionMs.publisher)} (publisher) / ${seconds(detectionMs.consumer)} (consumer), heartbeat 10 s`,
        ...notes,
        ...(reconnected
          ? [
              `consumer reconnected to ${/connected to (amqps?:\/\/[^\s"]+)/.exec(reconnected.line)?.[1] ?? '?'}${thaw ? '' : ' (frozen proxy: 127.0.0.1:' + proxy.port + ')'}`,
            ]
          : []),
      ],
    };
  };
}

/** 5. The service SIGKILLed with messages in flight (slow mailer), then started again. */
export function serviceKill() {
  return async (run: Run): Promise<FaultOutcome> => {
    const inFlight = run.unprocessed();
    const killedAt = Date.now();
    run.service().signal('SIGKILL');
    await run.service().exit(10_000);
    await run.restart();
    const ready = Date.now();
    const { recoveryMs, firstAcceptedMs } = await recoveredAfter(run, killedAt, killedAt);
    return {
      recoveryMs: [recoveryMs],
      firstAcceptedMs,
      notes: [`${inFlight} accepted but not yet mailed at the kill; new process ready after ${ready - killedAt} ms`],
    };
  };
}

/**
 * 6. scripts/cluster.sh: the node the service's consumer connection is on is SIGKILLed; the
 * service must move to another node of AMQP_URL and the quorum queues (3 members) keep every
 * confirmed message. "back" is the kill: the cluster never went away.
 */
export function clusterNodeKill() {
  return async (run: Run): Promise<FaultOutcome> => {
    const connectedPort = (role: 'publisher' | 'consumer') => {
      const lines = run.watch().events.filter((e) => e.kind === 'connected' && e.role === role);
      const match = /connected to amqps?:\/\/[^@\s]*@127\.0\.0\.1:(\d+)/.exec(lines[lines.length - 1]?.line ?? '');
      if (!match) throw new Error(`no '${role} connected to' line to tell which node it is on`);
      return Number(match[1]);
    };
    const victim = nodeOfPort(connectedPort('consumer'));
    const publisherNode = nodeOfPort(connectedPort('publisher'));
    const survivor = CLUSTER_NODES.find((n) => n.node !== victim)!.node;
    const queue = `${run.serviceName}.notifications.user-registered`;
    const queues = await clusterQueues(survivor);
    const before = queues.find((q) => q.name === queue);
    // The events exchange's alternate-exchange queue, declared by every channel's setup.
    const unrouted = queues.find((q) => q.name === `${run.serviceName}.events.unrouted`);
    const unroutedNote = unrouted
      ? `${unrouted.name} is a ${unrouted.type} queue${unrouted.type === 'classic' ? ` (pid ${unrouted.pid})` : ''}`
      : 'no unrouted queue seen';
    const killedAt = Date.now();
    await killClusterNode(victim);
    let reconnected: LogEvent;
    let recovered: Awaited<ReturnType<typeof recoveredAfter>>;
    try {
      await run.watch().next('disconnected', killedAt, 30_000, 'consumer');
      reconnected = await run.watch().next('connected', killedAt, 90_000, 'consumer');
      // Mail after the consumer is on its new node (not a handler that finished just before the
      // kill), and a 202 after the kill.
      recovered = await recoveredAfter(run, reconnected.at, killedAt);
    } catch (error) {
      throw new Error(`killed ${victim}; ${unroutedNote}: ${(error as Error).message}`, { cause: error });
    }
    const newPort = /127\.0\.0\.1:(\d+)/.exec(reconnected.line)?.[1];
    const after = await waitForLeader(survivor, queue, victim);
    const firstAccepted = run.load.firstAcceptedAfter(killedAt)!;
    // The publisher's answer to a channel left nacking every publish by the leader change.
    const renewals = run.service().linesWith('publishing on a new channel').length;
    return {
      recoveryMs: [reconnected.at + recovered.recoveryMs - killedAt],
      firstAcceptedMs: firstAccepted - killedAt,
      notes: [
        `killed ${victim} (consumer${publisherNode === victim ? ' and publisher' : ''} on it); consumer moved to ${newPort ? nodeOfPort(Number(newPort)) : '?'}`,
        `queue ${before?.type ?? '?'}, ${before?.members.length ?? 0} members; leader ${before?.leader ?? '?'} → ${after?.leader ?? '?'}`,
        unroutedNote,
        `publish channel renewed ${renewals} time(s) after nacks`,
      ],
      extra: { victim, publisherNode, queueBefore: before, queueAfter: after, reconnectedTo: newPort ? nodeOfPort(Number(newPort)) : undefined },
    };
  };
}

/** The queue as a surviving node sees it once its leader is not the killed node. */
async function waitForLeader(node: string, queue: string, dead: string) {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const info = (await clusterQueues(node).catch(() => [])).find((q) => q.name === queue);
    if ((info && info.leader && info.leader !== dead) || Date.now() > deadline) return info;
    await sleep(1_000);
  }
}

// ---------------------------------------------------------------------------------------------

function fmtMs(values: number[]): string {
  if (values.length === 0) return '—';
  if (values.length === 1) return `${(values[0] / 1000).toFixed(2)} s`;
  const sorted = [...values].sort((a, b) => a - b);
  const median = sorted[Math.floor(sorted.length / 2)];
  return `median ${(median / 1000).toFixed(2)} s, max ${(sorted[sorted.length - 1] / 1000).toFixed(2)} s`;
}

/** The results as a markdown table. */
export function resultsTable(results: ScenarioResult[]): string {
  const rows = [
    '| fault | accepted (202) | 503 | no answer | processed | of them not accepted | lost | duplicates | back → first ack | back → first 202 | notes |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---|---|---|',
  ];
  for (const r of results) {
    rows.push(
      `| ${r.fault} | ${r.accepted} | ${r.unavailable} | ${r.failed} | ${r.processed} | ${r.processedNotAccepted} | **${r.lost}** | ${r.duplicates} | ${fmtMs(r.recoveryMs)} | ${
        r.firstAcceptedMs === undefined ? '—' : `${(r.firstAcceptedMs / 1000).toFixed(2)} s`
      } | ${r.notes.join('; ').replace(/\|/g, '/')} |`,
    );
  }
  return rows.join('\n');
}

/** A one-line summary of a result (for test output). */
export function summary(r: ScenarioResult): string {
  return `${r.fault}: accepted ${r.accepted}, 503 ${r.unavailable}, no answer ${r.failed}, processed ${r.processed} (${r.processedNotAccepted} of them not accepted), lost ${r.lost}, duplicates ${r.duplicates}, recovery ${fmtMs(r.recoveryMs)}${
    r.firstAcceptedMs === undefined ? '' : `, first 202 after ${(r.firstAcceptedMs / 1000).toFixed(2)} s`
  }; ${r.notes.join('; ')}`;
}
