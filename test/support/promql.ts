import { parser } from '@prometheus-io/lezer-promql';
import type { SyntaxNode } from '@lezer/common';

/** One `label op "value"` of a vector selector, e.g. `outcome="dead_letter"`. */
export interface LabelMatcher {
  metric: string;
  label: string;
  /** `=`, `!=`, `=~` or `!~`. */
  op: string;
  value: string;
}

/** What a PromQL expression is made of, as far as the tests check it. */
export interface PromqlAnalysis {
  /** Syntax errors, each with the text around it; empty when the expression parses. */
  errors: string[];
  /** Metric names of its vector selectors, in order, without repeats. */
  metrics: string[];
  matchers: LabelMatcher[];
}

/**
 * Parses PromQL with Prometheus's own grammar (`@prometheus-io/lezer-promql`, the parser of
 * Prometheus's web UI). Lezer recovers from errors by inserting error nodes rather than throwing,
 * so every error node is reported. Grafana and Argo placeholders must be substituted first
 * (`substitutePlaceholders`).
 */
export function analysePromql(expr: string): PromqlAnalysis {
  const tree = parser.parse(expr);
  const errors: string[] = [];
  const metrics: string[] = [];
  const matchers: LabelMatcher[] = [];
  const text = (node: SyntaxNode | null): string => (node ? expr.slice(node.from, node.to) : '');
  tree.iterate({
    enter(ref) {
      if (ref.type.isError) {
        errors.push(`syntax error at ${ref.from}: …${expr.slice(Math.max(0, ref.from - 30), ref.from + 10)}…`);
      }
      if (ref.name !== 'VectorSelector') return;
      const node = ref.node;
      const metric = text(node.getChild('Identifier'));
      if (metric && !metrics.includes(metric)) metrics.push(metric);
      const list = node.getChild('LabelMatchers');
      for (const matcher of list ? [...list.getChildren('UnquotedLabelMatcher'), ...list.getChildren('QuotedLabelMatcher')] : []) {
        const value = text(matcher.getChild('StringLiteral'));
        matchers.push({
          metric,
          label: text(matcher.getChild('LabelName')),
          op: text(matcher.getChild('MatchOp')),
          value: value.slice(1, -1),
        });
      }
    },
  });
  if (expr.trim() === '') errors.push('empty expression');
  return { errors, metrics, matchers };
}

/**
 * Replaces the placeholders a dashboard or an Argo analysis puts in its queries by what they stand
 * for at run time: Grafana's `$__rate_interval`/`$__interval` by a duration, `$var`/`${var}` (inside
 * label values) by a plain value, Argo's `{{args.name}}` by a plain value.
 */
export function substitutePlaceholders(expr: string): string {
  return expr
    .replace(/\$__(rate_)?interval|\$\{__(rate_)?interval\}/g, '5m')
    .replace(/\$\{(\w+)\}|\$(\w+)/g, 'placeholder')
    .replace(/\{\{\s*args\.[\w-]+\s*\}\}/g, 'placeholder');
}
