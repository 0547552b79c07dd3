import type { SchemaObject } from 'ajv';

/**
 * JSON Schema of a `RabbitmqCluster` (rabbitmq.com/v1beta1, RabbitMQ Cluster Operator) for the
 * manifest tests. No npm package ships this CRD's schema, so it is written here from the
 * operator's API reference, for the spec fields an operator of warren is likely to set. Stricter
 * than the API server on purpose: an unknown field in `spec`, `service`, `persistence`,
 * `rabbitmq` or `tls` fails (the server would silently prune a misspelt one). Embedded
 * Kubernetes types (resources, affinity, tolerations) are only shaped here; `k8s-schemas.ts`
 * validates them with the Kubernetes models.
 */
export interface RabbitmqClusterSpec {
  replicas?: number;
  image?: string;
  persistence?: { storageClassName?: string; storage?: string | number };
  resources?: Record<string, unknown>;
  affinity?: Record<string, unknown>;
  tolerations?: Record<string, unknown>[];
  rabbitmq?: { additionalPlugins?: string[]; additionalConfig?: string; advancedConfig?: string; envConfig?: string };
}

/** Kubernetes resource.Quantity, with the API's OpenAPI pattern (e.g. `20Gi`, `500m`). */
const QUANTITY = {
  anyOf: [
    { type: 'integer' },
    {
      type: 'string',
      pattern: '^(\\+|-)?(([0-9]+(\\.[0-9]*)?)|(\\.[0-9]+))(([KMGTPE]i)|[numkMGTPE]|([eE](\\+|-)?(([0-9]+(\\.[0-9]*)?)|(\\.[0-9]+))))?$',
    },
  ],
};
const STRING_MAP = { type: 'object', additionalProperties: { type: 'string' } };
const closed = (properties: Record<string, SchemaObject>): SchemaObject => ({ type: 'object', additionalProperties: false, properties });

export const RABBITMQ_CLUSTER_SCHEMA: SchemaObject = {
  type: 'object',
  required: ['apiVersion', 'kind', 'metadata', 'spec'],
  properties: {
    apiVersion: { const: 'rabbitmq.com/v1beta1' },
    kind: { const: 'RabbitmqCluster' },
    metadata: {
      type: 'object',
      required: ['name'],
      properties: {
        name: { type: 'string', minLength: 1 },
        namespace: { type: 'string' },
        labels: STRING_MAP,
        annotations: STRING_MAP,
      },
    },
    spec: closed({
      replicas: { type: 'integer', minimum: 0 },
      image: { type: 'string' },
      imagePullSecrets: { type: 'array', items: { type: 'object', required: ['name'], properties: { name: { type: 'string' } } } },
      service: closed({
        type: { enum: ['ClusterIP', 'LoadBalancer', 'NodePort'] },
        annotations: STRING_MAP,
        ipFamilyPolicy: { type: 'string' },
      }),
      persistence: closed({ storageClassName: { type: 'string' }, storage: QUANTITY }),
      resources: { type: 'object' },
      affinity: { type: 'object' },
      tolerations: { type: 'array', items: { type: 'object' } },
      rabbitmq: closed({
        additionalPlugins: { type: 'array', maxItems: 100, items: { type: 'string', pattern: '^\\w+$' } },
        additionalConfig: { type: 'string' },
        advancedConfig: { type: 'string' },
        envConfig: { type: 'string' },
        erlangInetConfig: { type: 'string' },
      }),
      tls: closed({
        secretName: { type: 'string' },
        caSecretName: { type: 'string' },
        disableNonTLSListeners: { type: 'boolean' },
      }),
      terminationGracePeriodSeconds: { type: 'integer', minimum: 0 },
      delayStartSeconds: { type: 'integer', minimum: 0 },
      skipPostDeploySteps: { type: 'boolean' },
      autoEnableAllFeatureFlags: { type: 'boolean' },
      override: { type: 'object' },
      secretBackend: { type: 'object' },
    }),
  },
};
