import { AnalysisTemplate, Rollout } from '@kubernetes-models/argo-rollouts/argoproj.io/v1alpha1';
import { ScaledObject, TriggerAuthentication } from '@kubernetes-models/keda/keda.sh/v1alpha1';
import { PrometheusRule, ServiceMonitor } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1';
import { Ajv } from 'ajv';
import { Deployment } from 'kubernetes-models/apps/v1';
import { HorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2';
import { NetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1';
import { Affinity, ConfigMap, Namespace, ResourceRequirements, Secret, Service, Toleration } from 'kubernetes-models/v1';
import { CNPG_CLUSTER_SCHEMA, type CnpgClusterSpec } from './cnpg-cluster.schema.js';
import { RABBITMQ_CLUSTER_SCHEMA, type RabbitmqClusterSpec } from './rabbitmq-cluster.schema.js';

/**
 * Validates one manifest against the schema of its apiVersion and kind and returns what is wrong
 * (empty when valid). Core kinds and KEDA's use the published models (`kubernetes-models`,
 * `@kubernetes-models/keda`, `@kubernetes-models/prometheus-operator`, `@kubernetes-models/argo-rollouts`:
 * the Kubernetes 1.27 OpenAPI and the KEDA, prometheus-operator and Argo Rollouts CRD schemas compiled to ajv
 * validators); RabbitmqCluster uses `rabbitmq-cluster.schema.ts`. A kind with no schema here is
 * an error, so no manifest goes unchecked.
 */
export function schemaErrors(doc: unknown): string[] {
  const { apiVersion, kind } = (doc ?? {}) as { apiVersion?: unknown; kind?: unknown };
  const validate = VALIDATORS[`${String(apiVersion)}/${String(kind)}`];
  if (!validate) {
    return [`no schema for apiVersion ${String(apiVersion)}, kind ${String(kind)}: add one to test/support/k8s-schemas.ts`];
  }
  try {
    validate(doc);
    return [];
  } catch (error) {
    return [error instanceof Error ? error.message : String(error)];
  }
}

/** The apiVersion/kind pairs with a schema, e.g. `apps/v1/Deployment`. */
export function knownKinds(): string[] {
  return Object.keys(VALIDATORS);
}

type Validator = (doc: unknown) => void;

/** A kubernetes-models class: its constructor takes the object, `validate()` throws what is wrong. */
function model(Model: new (data: never) => { validate(): void }): Validator {
  return (doc) => new Model(doc as never).validate();
}

const ajv = new Ajv({ allErrors: true });

/**
 * A custom resource without a published model: its shape checked with an ajv schema of our own,
 * then the Kubernetes types it embeds (`embedded`, given the spec) with the same models as the core kinds.
 */
function crd<Spec>(schema: object, embedded: (spec: Spec) => void): Validator {
  const validateShape = ajv.compile(schema);
  return (doc) => {
    if (!validateShape(doc)) {
      throw new Error(ajv.errorsText(validateShape.errors, { dataVar: 'data' }));
    }
    embedded((doc as { spec: Spec }).spec);
  };
}

const validateRabbitmqCluster = crd<RabbitmqClusterSpec>(RABBITMQ_CLUSTER_SCHEMA, (spec) => {
  if (spec.resources) model(ResourceRequirements)(spec.resources);
  if (spec.affinity) model(Affinity)(spec.affinity);
  for (const toleration of spec.tolerations ?? []) model(Toleration)(toleration);
});

const validateCnpgCluster = crd<CnpgClusterSpec>(CNPG_CLUSTER_SCHEMA, (spec) => {
  if (spec.resources) model(ResourceRequirements)(spec.resources);
});

const VALIDATORS: Record<string, Validator> = {
  'v1/Namespace': model(Namespace),
  'v1/ConfigMap': model(ConfigMap),
  'v1/Secret': model(Secret),
  'v1/Service': model(Service),
  'apps/v1/Deployment': model(Deployment),
  'autoscaling/v2/HorizontalPodAutoscaler': model(HorizontalPodAutoscaler),
  'policy/v1/PodDisruptionBudget': model(PodDisruptionBudget),
  'networking.k8s.io/v1/NetworkPolicy': model(NetworkPolicy),
  'keda.sh/v1alpha1/ScaledObject': model(ScaledObject),
  'keda.sh/v1alpha1/TriggerAuthentication': model(TriggerAuthentication),
  'rabbitmq.com/v1beta1/RabbitmqCluster': validateRabbitmqCluster,
  'postgresql.cnpg.io/v1/Cluster': validateCnpgCluster,
  // The CRD schemas of prometheus-operator and Argo Rollouts, from their published models.
  'monitoring.coreos.com/v1/ServiceMonitor': model(ServiceMonitor),
  'monitoring.coreos.com/v1/PrometheusRule': model(PrometheusRule),
  'argoproj.io/v1alpha1/Rollout': model(Rollout),
  'argoproj.io/v1alpha1/AnalysisTemplate': model(AnalysisTemplate),
};
