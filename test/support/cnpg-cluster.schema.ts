import type { SchemaObject } from 'ajv';

/**
 * JSON Schema of a CloudNativePG `Cluster` (postgresql.cnpg.io/v1) for the manifest tests, written
 * from the operator's API reference for the spec fields warren sets. Stricter than the API server
 * on purpose: an unknown field in `spec`, `storage`, `bootstrap.initdb` or `postgresql` fails (the
 * server would prune a misspelt one). `resources` is validated with the Kubernetes model.
 */
export interface CnpgClusterSpec {
  instances: number;
  imageName?: string;
  storage: { size: string; storageClass?: string };
  bootstrap?: { initdb: { database: string; owner: string; secret?: { name: string } } };
  postgresql?: { parameters?: Record<string, string> };
  resources?: Record<string, unknown>;
  monitoring?: { enablePodMonitor?: boolean };
}

const QUANTITY = {
  type: 'string',
  pattern: '^(\\+|-)?(([0-9]+(\\.[0-9]*)?)|(\\.[0-9]+))(([KMGTPE]i)|[numkMGTPE]|([eE](\\+|-)?(([0-9]+(\\.[0-9]*)?)|(\\.[0-9]+))))?$',
};

export const CNPG_CLUSTER_SCHEMA: SchemaObject = {
  type: 'object',
  required: ['apiVersion', 'kind', 'metadata', 'spec'],
  properties: {
    apiVersion: { const: 'postgresql.cnpg.io/v1' },
    kind: { const: 'Cluster' },
    metadata: { type: 'object', required: ['name'], properties: { name: { type: 'string', pattern: '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$' } } },
    spec: {
      type: 'object',
      additionalProperties: false,
      required: ['instances', 'storage'],
      properties: {
        instances: { type: 'integer', minimum: 1 },
        imageName: { type: 'string', minLength: 1 },
        storage: {
          type: 'object',
          additionalProperties: false,
          required: ['size'],
          properties: { size: QUANTITY, storageClass: { type: 'string' } },
        },
        bootstrap: {
          type: 'object',
          additionalProperties: false,
          required: ['initdb'],
          properties: {
            initdb: {
              type: 'object',
              additionalProperties: false,
              required: ['database', 'owner'],
              properties: {
                database: { type: 'string', minLength: 1 },
                owner: { type: 'string', minLength: 1 },
                secret: { type: 'object', additionalProperties: false, required: ['name'], properties: { name: { type: 'string' } } },
              },
            },
          },
        },
        postgresql: {
          type: 'object',
          additionalProperties: false,
          properties: { parameters: { type: 'object', additionalProperties: { type: 'string' } } },
        },
        resources: { type: 'object' },
        monitoring: { type: 'object', additionalProperties: false, properties: { enablePodMonitor: { type: 'boolean' } } },
      },
    },
  },
};
