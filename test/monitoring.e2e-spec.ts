/**
 * The monitoring and canary manifests (k8s/monitoring, k8s/canary) against what they watch:
 * every PromQL expression parses with Prometheus's grammar, and every metric (and label value)
 * it names exists in a real scrape of the service after it published, consumed, retried and
 * dead-lettered on the shared broker — so a renamed metric fails here, not silently on a
 * dashboard. Also: each alert has a severity, a summary and a runbook section in
 * docs/operations.md; the canary goes 5 % → 25 % → 100 % with an analysis on the new pods.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import request from 'supertest';
import { MetricsServer } from '../src/metrics/metrics-server.js';
import { retryQueueName } from '../src/rabbitmq/admin.js';
import { BrokerProbe } from './support/broker.js';
import { type DemoApp, startDemoApp } from './support/demo-app.js';
import {
  hasKubectl,
  K8S_DIR,
  type K8sObject,
  kustomizedFiles,
  loadKustomization,
  loadManifests,
  renderWithKubectl,
  theOne,
} from './support/k8s-manifests.js';
import { schemaErrors } from './support/k8s-schemas.js';
import { alertRules, analysisQueries, dashboards, monitoringQueries } from './support/monitoring-queries.js';
import { analysePromql, substitutePlaceholders } from './support/promql.js';
import { waitFor } from './support/wait-for.js';

const OPERATIONS_DOC = new URL('../docs/operations.md', import.meta.url);
const RUNBOOK_HEADING = '## Alerts and runbooks';

/** Labels Prometheus adds at scrape time (target and pod labels), never present in the service's own output. */
const TARGET_LABELS = new Set(['namespace', 'pod', 'job', 'instance', 'service', 'container', 'endpoint', 'rollouts_pod_template_hash']);

/** The alerts issue 17 asks for, by what they watch. */
const REQUIRED_ALERTS = [
  'WarrenDeadLettersGrowing',
  'WarrenConsumerStuck',
  'WarrenPublishFailureRatioHigh',
  'WarrenHandlerLatencyHigh',
  'WarrenConsumptionPaused',
  'WarrenReconnectStorm',
  'WarrenKillSwitchOpen',
  // Issue 21 point 10: a target gone, requests unanswered, a DLQ about to refuse dead letters.
  'WarrenScrapeTargetDown',
  'WarrenScrapeTargetMissing',
  'WarrenRequestTimeouts',
  'WarrenDeadLetterQueueNearlyFull',
];

/** Series Prometheus makes itself for each target (never in the service's output). */
const PROMETHEUS_SERIES = new Set(['up']);

const RETRY_DELAY_MS = 200;

const manifests = loadManifests();
const queries = monitoringQueries(manifests);

/** Metric name → label sets of its samples, from Prometheus text format. */
function parseScrape(text: string): Map<string, Record<string, string>[]> {
  const series = new Map<string, Record<string, string>[]>();
  for (const line of text.split('\n')) {
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? \S+/.exec(line);
    if (!match) continue;
    const labels: Record<string, string> = {};
    for (const pair of (match[2] ?? '').matchAll(/([a-zA-Z_]\w*)="((?:[^"\\]|\\.)*)"/g)) labels[pair[1]] = pair[2];
    series.set(match[1], [...(series.get(match[1]) ?? []), labels]);
  }
  return series;
}

/** The section of docs/operations.md under a `### name` heading inside "Alerts and runbooks". */
function runbookSection(doc: string, name: string): string | undefined {
  const runbooks = doc.split(RUNBOOK_HEADING)[1]?.split(/\n## /)[0] ?? '';
  const start = runbooks.indexOf(`\n### ${name}\n`);
  if (start < 0) return undefined;
  const rest = runbooks.slice(start + 1);
  const end = rest.indexOf('\n### ');
  return end < 0 ? rest : rest.slice(0, end);
}

describe('monitoring manifests: PromQL', () => {
  it('finds the alert, dashboard and analysis queries', () => {
    const sources = queries.map((query) => query.source.split(':')[0].split(' ')[0]);
    expect(new Set(sources)).toEqual(new Set(['PrometheusRule', 'dashboard', 'AnalysisTemplate']));
    expect(queries.length).toBeGreaterThanOrEqual(30);
  });

  it.each(queries.map((query) => [query.source, query.expr] as const))('%s parses and names a metric', (_source, expr) => {
    const analysis = analysePromql(substitutePlaceholders(expr));
    expect(analysis.errors).toEqual([]);
    expect(analysis.metrics.length).toBeGreaterThan(0);
  });

  it('the parser refuses broken PromQL (the check is not vacuous)', () => {
    for (const broken of [
      'rate(warren_publishes_total[5m]',
      'sum by (queue) rate(x[5m])',
      'x >',
      'warren_queue_depth{queue="a"',
      'histogram_quantile(0.95 sum(x))',
    ]) {
      expect({ broken, errors: analysePromql(broken).errors.length > 0 }).toEqual({ broken, errors: true });
    }
    expect(analysePromql('sum(rate(warren_publishes_total{outcome!="confirmed"}[5m])) / sum(rate(warren_publishes_total[5m]))')).toEqual({
      errors: [],
      metrics: ['warren_publishes_total'],
      matchers: [{ metric: 'warren_publishes_total', label: 'outcome', op: '!=', value: 'confirmed' }],
    });
  });
});

describe('monitoring manifests: alerts, dashboard, canary', () => {
  it('every required alert exists, with a severity, a summary and a runbook section that says which dlq command to run', () => {
    const doc = readFileSync(OPERATIONS_DOC, 'utf8');
    const rules = alertRules(manifests).map(({ rule }) => rule);
    expect(rules.map((rule) => rule.alert)).toEqual(expect.arrayContaining(REQUIRED_ALERTS));
    for (const rule of rules) {
      const name = rule.alert!;
      expect({ name, severity: rule.labels?.severity }).toEqual({ name, severity: expect.stringMatching(/^(critical|warning)$/) });
      expect({ name, summary: (rule.annotations?.summary ?? '').length > 10 }).toEqual({ name, summary: true });
      expect({ name, runbook: rule.annotations?.runbook }).toEqual({ name, runbook: `docs/operations.md#${name.toLowerCase()}` });
      const section = runbookSection(doc, name);
      expect({ name, section: section !== undefined }).toEqual({ name, section: true });
      expect({ name, dlqCommand: /npm run dlq -- (list|peek|replay)/.test(section!) }).toEqual({ name, dlqCommand: true });
      expect({ name, severityInRunbook: section!.includes(`Severity: ${rule.labels!.severity}`) }).toEqual({ name, severityInRunbook: true });
    }
  });

  it('the Grafana dashboard is picked up by the sidecar and covers what the issue lists', () => {
    const found = dashboards(manifests);
    expect(found).toHaveLength(1);
    const { dashboard } = found[0];
    expect(dashboard.uid).toBe('warren-transport');
    const titles = dashboard.panels.map((panel) => panel.title.toLowerCase()).join(' | ');
    for (const topic of [
      'publishes by outcome',
      'consumed by queue',
      'p95',
      'in flight',
      'pause reasons',
      'dead-letter',
      'reconnects',
      'channel renewals',
      'kill switch',
      'event-loop',
      'watermark',
      'outbox pending',
      'oldest pending age',
      'published / retried / dead',
      'commit-to-confirm',
      'inbox duplicates',
    ]) {
      expect({ topic, found: titles.includes(topic) }).toEqual({ topic, found: true });
    }
    for (const panel of dashboard.panels)
      expect({ panel: panel.title, targets: (panel.targets ?? []).length > 0 }).toEqual({ panel: panel.title, targets: true });
  });

  it('the ServiceMonitor scrapes the metrics port of the pods, through a Service that selects them', () => {
    const monitor = theOne(manifests, 'ServiceMonitor', 'warren') as K8sObject & {
      spec: { selector: { matchLabels: Record<string, string> }; endpoints: { port: string; path: string }[]; podTargetLabels: string[] };
    };
    const service = manifests
      .map((m) => m.doc)
      .find(
        (doc) => doc.kind === 'Service' && Object.entries(monitor.spec.selector.matchLabels).every(([k, v]) => doc.metadata.labels?.[k] === v),
      ) as (K8sObject & { spec: { selector: Record<string, string>; ports: { name: string; targetPort: string }[] } }) | undefined;
    expect(service?.metadata.name).toBe('warren-metrics');
    const deployment = theOne(manifests, 'Deployment', 'warren') as K8sObject & { spec: any };
    expect(service!.spec.selector).toEqual(deployment.spec.selector.matchLabels);
    const port = deployment.spec.template.spec.containers[0].ports.find((p: { name: string }) => p.name === service!.spec.ports[0].targetPort);
    expect(port?.containerPort).toBe(Number(deployment.spec.template.metadata.annotations['prometheus.io/port']));
    expect(monitor.spec.endpoints).toEqual([expect.objectContaining({ port: service!.spec.ports[0].name, path: '/metrics' })]);
    // The canary analysis selects the new pods by this label.
    expect(monitor.spec.podTargetLabels).toContain('rollouts-pod-template-hash');
  });

  it('the canary goes 5 % → 25 % → 100 % on the Deployment’s pods, analysed from the first step with the template’s arguments', () => {
    const rollout = theOne(manifests, 'Rollout', 'warren') as K8sObject & { spec: any };
    const deployment = theOne(manifests, 'Deployment', 'warren') as K8sObject & { spec: any };
    const canary = rollout.spec.strategy.canary;
    expect(
      canary.steps.filter((step: { setWeight?: number }) => step.setWeight !== undefined).map((step: { setWeight: number }) => step.setWeight),
    ).toEqual([5, 25, 100]);
    expect(rollout.spec.workloadRef).toEqual(expect.objectContaining({ apiVersion: 'apps/v1', kind: 'Deployment', name: deployment.metadata.name }));
    expect(rollout.spec.selector).toEqual(deployment.spec.selector);
    expect(canary.analysis.startingStep ?? 0).toBe(0);
    const [{ templateName }] = canary.analysis.templates as { templateName: string }[];
    const template = theOne(manifests, 'AnalysisTemplate', templateName) as K8sObject & { spec: { args: { name: string; value?: string }[] } };
    const given = new Set((canary.analysis.args as { name: string }[]).map((arg) => arg.name));
    expect(template.spec.args.filter((arg) => arg.value === undefined && !given.has(arg.name))).toEqual([]);
    // Each analysis query looks at the canary's pods only.
    for (const { name, query } of analysisQueries(manifests)) {
      const selectors = analysePromql(substitutePlaceholders(query)).matchers.filter((m) => m.label === 'rollouts_pod_template_hash');
      expect({ name, selectsCanary: selectors.length > 0 && selectors.every((m) => m.op === '=') }).toEqual({ name, selectsCanary: true });
      expect(query).toContain('{{args.canary-hash}}');
    }
  });

  it('the canary component is optional: not enabled by default, and its files are listed by its own kustomization', () => {
    expect(loadKustomization().components).not.toContain('canary');
    expect(loadKustomization().components).toContain('monitoring');
    expect(kustomizedFiles('canary').sort()).toEqual(['canary/analysis-template.yaml', 'canary/rollout.yaml']);
  });

  (hasKubectl() ? it : it.skip)('kubectl kustomize with the canary enabled renders valid objects and points the autoscaler at the Rollout', () => {
    const dir = mkdtempSync(join(tmpdir(), 'warren-canary-'));
    try {
      // An overlay of k8s/ plus the component, as an operator enabling it would get (kustomize wants relative paths).
      writeFileSync(
        join(dir, 'kustomization.yaml'),
        [
          'apiVersion: kustomize.config.k8s.io/v1beta1',
          'kind: Kustomization',
          'resources:',
          `  - ${relative(dir, K8S_DIR)}`,
          'components:',
          `  - ${relative(dir, join(K8S_DIR, 'canary'))}`,
          '',
        ].join('\n'),
      );
      const rendered = renderWithKubectl(dir);
      for (const doc of rendered) {
        expect({ object: `${doc.kind} ${doc.metadata.name}`, errors: schemaErrors(doc) }).toEqual({
          object: `${doc.kind} ${doc.metadata.name}`,
          errors: [],
        });
      }
      const targets = rendered
        .filter((doc) => doc.kind === 'ScaledObject' || doc.kind === 'HorizontalPodAutoscaler')
        .map((doc) => (doc as K8sObject & { spec: { scaleTargetRef: { kind: string; name: string } } }).spec.scaleTargetRef);
      expect(targets).toEqual([{ apiVersion: 'argoproj.io/v1alpha1', kind: 'Rollout', name: 'warren' }]);
      expect(rendered.map((doc) => doc.kind)).toEqual(
        expect.arrayContaining(['Rollout', 'AnalysisTemplate', 'Deployment', 'ServiceMonitor', 'PrometheusRule']),
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('monitoring manifests: every metric they use exists in a real scrape of the service', () => {
  let demo: DemoApp;
  let broker: BrokerProbe;
  let scraped: Map<string, Record<string, string>[]>;

  beforeAll(async () => {
    demo = await startDemoApp('monitoring', { RETRY_DELAYS_MS: String(RETRY_DELAY_MS), RETRY_ATTEMPTS: '2' });
    broker = await BrokerProbe.open();
    const http = () => request(demo.app.getHttpServer());
    const queue = `${demo.config.rabbitmq.serviceName}.notifications.user-registered`;

    // Publish and consume; one delivery fails once (retry), one body is undecodable (dead letter).
    const send = demo.mailer.send.bind(demo.mailer);
    let failures = 1;
    demo.mailer.send = async (mail) => {
      if (failures-- > 0) throw new Error('mail server unavailable (test)');
      return send(mail);
    };
    for (let i = 0; i < 3; i++)
      await http()
        .post('/users')
        .send({ email: `mon${i}@example.com`, name: 'M' })
        .expect(202);
    await http()
      .post('/orders')
      .send({ customerId: 'c-1', items: [{ sku: 'sku-1', quantity: 1 }] })
      .expect(202);
    broker.publish('', queue, '{not json', { contentType: 'application/json' });
    // The order yields two mails (received, then its stock result, through inventory's outbox): wait for each by
    // subject, not for a count the next mail can pass between two polls.
    await waitFor(
      '5 mails (3 welcomes, the order received and its stock result), one of them after a retry',
      () => {
        const subjects = demo.mailer.sent.map((mail) => mail.subject);
        const welcomes = subjects.filter((subject) => subject.startsWith('Welcome')).length;
        return welcomes === 3 && subjects.some((s) => s.endsWith(' received')) && subjects.some((s) => / (is|could not be) reserved$/.test(s));
      },
      { timeoutMs: 60_000 },
    );

    // The same order.created delivered twice: inventory's inbox acks the second without effects (a duplicate).
    const duplicate = { orderId: 'mon-duplicate', customerId: 'c-1', items: [{ sku: 'sku-1', quantity: 1 }] };
    for (let i = 0; i < 2; i++) {
      broker.publish(demo.config.rabbitmq.exchange!, 'order.created', JSON.stringify(duplicate), {
        contentType: 'application/json',
        messageId: 'c9a1f1c2-5b0e-4f57-9d59-4d3c2f0e0a01',
      });
    }

    const port = demo.app.get(MetricsServer).port;
    scraped = await waitFor(
      'the retry, the dead letter, the outbox backlog and the inbox duplicate to be counted',
      async () => {
        const series = parseScrape((await request(`http://127.0.0.1:${port}`).get('/metrics').expect(200)).text);
        const outcomes = new Set((series.get('warren_messages_consumed_total') ?? []).map((labels) => labels.outcome));
        const outbox = series.has('warren_outbox_pending') && series.has('warren_inbox_duplicates_total');
        return outcomes.has('retry') && outcomes.has('dead_letter') && outcomes.has('ack') && outbox ? series : undefined;
      },
      { timeoutMs: 60_000 },
    );
  }, 120_000);

  afterAll(async () => {
    const queues = demo?.server.queues() ?? [];
    await broker?.remove({ queues: queues.map((queue) => retryQueueName(queue, RETRY_DELAY_MS)) });
    await broker?.close();
    await demo?.dispose();
  });

  it.each(queries.map((query) => [query.source, query.expr] as const))(
    '%s: its metrics, labels and label values are in the scrape',
    (_source, expr) => {
      const { metrics, matchers } = analysePromql(substitutePlaceholders(expr));
      const missing = metrics.filter((metric) => !PROMETHEUS_SERIES.has(metric) && (scraped.get(metric) ?? []).length === 0);
      expect(missing).toEqual([]);
      for (const matcher of matchers.filter((m) => !TARGET_LABELS.has(m.label) && !PROMETHEUS_SERIES.has(m.metric))) {
        const series = scraped.get(matcher.metric) ?? [];
        expect({ matcher, labelExists: series.some((labels) => matcher.label in labels) }).toEqual({ matcher, labelExists: true });
        // An exact value must be one the service emits (e.g. outcome="dead_letter"); regex alternatives each too.
        const values =
          matcher.op === '=' || matcher.op === '!='
            ? [matcher.value]
            : matcher.op === '=~' && /^[\w|-]+$/.test(matcher.value)
              ? matcher.value.split('|')
              : [];
        for (const value of values) {
          expect({ matcher, value, emitted: series.some((labels) => labels[matcher.label] === value) }).toEqual({ matcher, value, emitted: true });
        }
      }
    },
  );

  it('the check is not vacuous: a renamed metric or label value would be missing', () => {
    expect(scraped.get('warren_messages_consumed_total')?.length).toBeGreaterThan(0);
    expect(scraped.get('warren_messages_consumed')).toBeUndefined();
    expect(scraped.get('warren_handler_duration_seconds_bucket')?.length).toBeGreaterThan(0);
    expect((scraped.get('warren_publishes_total') ?? []).some((labels) => labels.outcome === 'confirmd')).toBe(false);
    // The pause reason and kill-switch gauges have a series per queue before anything pauses.
    const queues = demo.server.queues();
    expect(new Set((scraped.get('warren_kill_switch_open') ?? []).map((labels) => labels.queue))).toEqual(new Set(queues));
    expect((scraped.get('warren_consumer_pause_reason') ?? []).length).toBe(queues.length * 6);
    expect((scraped.get('warren_consumer_pause_reason') ?? []).filter((labels) => labels.reason === 'dead-letter-queue-full')).toHaveLength(
      queues.length,
    );
    // Every request outcome has a series before the first request, so the timeout ratio has a denominator.
    expect((scraped.get('warren_requests_total') ?? []).map((labels) => labels.outcome).sort()).toEqual(
      ['connection_lost', 'not_sent', 'remote_error', 'replied', 'shed', 'timeout'].sort(),
    );
    expect(scraped.get('warren_dead_letter_queue_max_length')).toHaveLength(1);
    expect(scraped.get('warren_memory_high_watermark_bytes')).toHaveLength(1);
    // The outbox's series come from the service's own PostgreSQL (DATABASE_URL), the duplicate from inventory's inbox.
    expect(scraped.get('warren_outbox_commit_to_confirm_seconds_count')?.length).toBe(1);
    expect(scraped.get('warren_inbox_duplicates_total')).toEqual([{ queue: `${demo.config.rabbitmq.serviceName}.inventory.order-created` }]);
  });
});
