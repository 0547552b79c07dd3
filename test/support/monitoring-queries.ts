import type { K8sObject, Manifest } from './k8s-manifests.js';

/** A PromQL expression found in a manifest, with where it came from (for failure messages). */
export interface MonitoringQuery {
  /** e.g. `PrometheusRule warren: alert WarrenConsumerStuck`. */
  source: string;
  expr: string;
}

/** A Prometheus alerting or recording rule of a PrometheusRule. */
export interface AlertRule {
  alert?: string;
  record?: string;
  expr: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

/** A Grafana dashboard panel, as far as the tests read it. */
export interface DashboardPanel {
  title: string;
  targets?: { expr?: string }[];
}

/** The Grafana dashboard JSON of a ConfigMap labelled for Grafana's sidecar. */
export interface Dashboard {
  uid: string;
  title: string;
  panels: DashboardPanel[];
  templating?: { list: { name: string; query?: string | { query?: string } }[] };
}

/** Every rule of every PrometheusRule. */
export function alertRules(manifests: readonly Manifest[]): { owner: K8sObject; rule: AlertRule }[] {
  return manifests
    .filter(({ doc }) => doc.kind === 'PrometheusRule')
    .flatMap(({ doc }) =>
      ((doc.spec as { groups: { rules: AlertRule[] }[] }).groups ?? []).flatMap((group) => group.rules.map((rule) => ({ owner: doc, rule }))),
    );
}

/** Every dashboard JSON held by a ConfigMap labelled `grafana_dashboard`, parsed. */
export function dashboards(manifests: readonly Manifest[]): { file: string; key: string; dashboard: Dashboard }[] {
  return manifests
    .filter(({ doc }) => doc.kind === 'ConfigMap' && doc.metadata.labels?.grafana_dashboard !== undefined)
    .flatMap(({ file, doc }) =>
      Object.entries((doc.data as Record<string, string>) ?? {}).map(([key, json]) => ({ file, key, dashboard: JSON.parse(json) as Dashboard })),
    );
}

/** The Prometheus metrics of every Argo Rollouts AnalysisTemplate. */
export function analysisQueries(manifests: readonly Manifest[]): { template: K8sObject; name: string; query: string }[] {
  return manifests
    .filter(({ doc }) => doc.kind === 'AnalysisTemplate')
    .flatMap(({ doc }) =>
      ((doc.spec as { metrics: { name: string; provider: { prometheus?: { query: string } } }[] }).metrics ?? [])
        .filter((metric) => metric.provider.prometheus !== undefined)
        .map((metric) => ({ template: doc, name: metric.name, query: metric.provider.prometheus!.query })),
    );
}

/**
 * Every PromQL expression the manifests hold: alert rules, dashboard panel targets, the dashboard's
 * `label_values(metric, label)` variables (as the selector `metric`), and canary analysis queries.
 * Placeholders are left in; see `substitutePlaceholders`.
 */
export function monitoringQueries(manifests: readonly Manifest[]): MonitoringQuery[] {
  const queries: MonitoringQuery[] = [];
  for (const { owner, rule } of alertRules(manifests)) {
    queries.push({
      source: `PrometheusRule ${owner.metadata.name}: ${rule.alert ? `alert ${rule.alert}` : `record ${rule.record}`}`,
      expr: rule.expr,
    });
  }
  for (const { key, dashboard } of dashboards(manifests)) {
    for (const panel of dashboard.panels) {
      for (const [index, target] of (panel.targets ?? []).entries()) {
        queries.push({ source: `dashboard ${key}: panel "${panel.title}" target ${index}`, expr: target.expr ?? '' });
      }
    }
    for (const variable of dashboard.templating?.list ?? []) {
      const query = typeof variable.query === 'string' ? variable.query : variable.query?.query;
      const labelValues = /^label_values\(\s*([^,]+?)\s*,\s*\w+\s*\)$/.exec(query ?? '');
      if (labelValues) queries.push({ source: `dashboard ${key}: variable $${variable.name}`, expr: labelValues[1] });
    }
  }
  for (const { template, name, query } of analysisQueries(manifests)) {
    queries.push({ source: `AnalysisTemplate ${template.metadata.name}: metric ${name}`, expr: query });
  }
  return queries;
}
