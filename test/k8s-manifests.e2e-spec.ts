/**
 * The Kubernetes manifests (k8s/) against Kubernetes and CRD schemas, and against the app they
 * deploy: probe paths and port, environment variables, queue names for KEDA, shutdown timing,
 * heap size. Needs no broker and no cluster; the kustomize rendering check needs kubectl on PATH
 * (skipped without it).
 */
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from '@jest/globals';
import { parse as parseYaml } from 'yaml';
import type { IScaledObject } from '@kubernetes-models/keda/keda.sh/v1alpha1/ScaledObject';
import type { ITriggerAuthentication } from '@kubernetes-models/keda/keda.sh/v1alpha1/TriggerAuthentication';
import type { IDeployment } from 'kubernetes-models/apps/v1/Deployment';
import type { IHorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler';
import type { INetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1/NetworkPolicy';
import type { IPodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget';
import type { IConfigMap } from 'kubernetes-models/v1/ConfigMap';
import type { IContainer } from 'kubernetes-models/v1/Container';
import type { ISecret } from 'kubernetes-models/v1/Secret';
import type { IService } from 'kubernetes-models/v1/Service';
import { AppModule } from '../src/app.module.js';
import { resolveRabbitMQOptions } from '../src/rabbitmq/admin.js';
import type { AppConfig } from '../src/config/app-config.js';
import { SETTING_TABLE } from '../src/config/setting-table.js';
import { loadConfig } from '../src/config/load-config.js';
import { METRICS_PATH } from '../src/metrics/metrics-server.js';
import { type AppRoute, appRoutes } from './support/app-routes.js';
import {
  hasKubectl,
  type K8sObject,
  kustomizationDirs,
  kustomizedFiles,
  loadKustomization,
  loadManifests,
  renderWithKubectl,
  theOne,
} from './support/k8s-manifests.js';
import { quantityToBytes } from './support/k8s-quantity.js';
import { schemaErrors } from './support/k8s-schemas.js';
import { discoverServiceQueues, kedaTriggerProblems, type ServiceQueues } from './support/keda-triggers.js';
import type { RabbitmqClusterSpec } from './support/rabbitmq-cluster.schema.js';

/** Shows only the shape; operators create the real Secret, so no kustomization may list it. */
const EXAMPLE_SECRET_FILE = 'secret.example.yaml';

/** Components operators enable by listing them in kustomization.yaml (not listed by default). */
const OPTIONAL_COMPONENTS = ['canary'];
const inOptionalComponent = (file: string): boolean => OPTIONAL_COMPONENTS.some((dir) => file.startsWith(`${dir}/`));

/** Variables for Node itself, not the app's config: allowed in the Deployment's env. */
const RUNTIME_VARIABLES = new Set(['NODE_OPTIONS']);
/** OpenTelemetry SDK settings (OTEL_*): read by the SDK, not the app; also allowed in the Deployment's env. */
const isOtelVariable = (name: string): boolean => name.startsWith('OTEL_');

/** An address nothing listens on: building the app must not need a broker. */
const NO_BROKER_URL = 'amqp://guest:guest@127.0.0.1:1';

const manifests = loadManifests();
const kubectl = hasKubectl();

type RabbitmqCluster = K8sObject & { spec: RabbitmqClusterSpec };

const deployment = (): IDeployment & K8sObject => theOne<IDeployment>(manifests, 'Deployment', 'warren');
const container = (): IContainer => {
  const containers = deployment().spec!.template.spec!.containers;
  expect(containers).toHaveLength(1);
  return containers[0];
};
const configMap = (): IConfigMap & K8sObject => theOne<IConfigMap>(manifests, 'ConfigMap', 'warren-config');
const exampleSecret = (): ISecret & K8sObject => theOne<ISecret>(manifests, 'Secret', 'warren-secrets');
const scaledObject = (): IScaledObject & K8sObject => theOne<IScaledObject>(manifests, 'ScaledObject', 'warren');
const rabbitmqCluster = (): RabbitmqCluster => theOne<RabbitmqCluster>(manifests, 'RabbitmqCluster');

/** The container port a probe or Service names, by name or number. */
function containerPort(port: string | number | undefined): number | undefined {
  if (typeof port === 'number') return port;
  return container().ports?.find((candidate) => candidate.name === port)?.containerPort;
}

/** Seconds of the preStop `sleep N` hook. */
function preStopSleepSeconds(): number {
  const command = container().lifecycle?.preStop?.exec?.command ?? [];
  expect(command).toHaveLength(2);
  expect(command[0]).toBe('sleep');
  return Number(command[1]);
}

/** Names of the variables the Deployment puts in the container's environment. */
function deploymentEnvironment(): Set<string> {
  const names = new Set<string>();
  for (const source of container().envFrom ?? []) {
    const prefix = source.prefix ?? '';
    if (source.configMapRef) {
      const map = theOne<IConfigMap>(manifests, 'ConfigMap', source.configMapRef.name);
      for (const name of Object.keys(map.data ?? {})) names.add(prefix + name);
    }
    if (source.secretRef) {
      // The real Secret is created out of band; its example shows which keys it has.
      const secret = theOne<ISecret>(manifests, 'Secret', source.secretRef.name);
      for (const name of Object.keys({ ...secret.data, ...secret.stringData })) names.add(prefix + name);
    }
  }
  for (const variable of container().env ?? []) names.add(variable.name);
  return names;
}

describe('k8s manifests: schemas', () => {
  it('finds the manifests', () => {
    expect(manifests.length).toBeGreaterThanOrEqual(10);
  });

  it.each(manifests.map((manifest) => [`${manifest.file}: ${manifest.doc.kind} ${manifest.doc.metadata?.name}`, manifest.doc] as const))(
    '%s is valid against its schema',
    (_label, doc) => {
      expect(schemaErrors(doc)).toEqual([]);
    },
  );

  it('rejects what the API server would reject (the schema check is not vacuous)', () => {
    const broken = (kind: string, mutate: (doc: any) => void): string[] => {
      // The first object of the kind (k8s/monitoring adds a second Service).
      const doc = structuredClone(manifests.find((manifest) => manifest.doc.kind === kind)!.doc);
      mutate(doc);
      return schemaErrors(doc);
    };
    expect(broken('Deployment', (doc) => (doc.spec.template.spec.containers[0].ports[0].containerPort = '3000'))).not.toEqual([]);
    expect(broken('Deployment', (doc) => delete doc.spec.selector)).not.toEqual([]);
    expect(broken('Service', (doc) => (doc.spec.ports[0].protocol = 7))).not.toEqual([]);
    expect(broken('HorizontalPodAutoscaler', (doc) => delete doc.spec.scaleTargetRef)).not.toEqual([]);
    expect(broken('ScaledObject', (doc) => (doc.spec.triggers[0].metadata.value = 500))).not.toEqual([]);
    expect(broken('TriggerAuthentication', (doc) => delete doc.spec.secretTargetRef[0].key)).not.toEqual([]);
    expect(broken('RabbitmqCluster', (doc) => (doc.spec.replica = 3))).not.toEqual([]);
    expect(broken('RabbitmqCluster', (doc) => (doc.spec.persistence.storage = 'twenty gigs'))).not.toEqual([]);
    expect(broken('RabbitmqCluster', (doc) => (doc.spec.resources.limits = 'lots'))).not.toEqual([]);
    expect(broken('Cluster', (doc) => (doc.spec.storage.size = 'twenty gigs'))).not.toEqual([]);
    expect(broken('Cluster', (doc) => (doc.spec.instance = 3))).not.toEqual([]);
    expect(broken('ServiceMonitor', (doc) => (doc.spec.endpoints = 'metrics'))).not.toEqual([]);
    expect(broken('PrometheusRule', (doc) => delete doc.spec.groups[0].name)).not.toEqual([]);
    expect(broken('Rollout', (doc) => (doc.spec.strategy.canary.steps[0].setWeight = 'five'))).not.toEqual([]);
    expect(broken('AnalysisTemplate', (doc) => delete doc.spec.metrics[0].name)).not.toEqual([]);
    expect(schemaErrors({ apiVersion: 'example.com/v1', kind: 'Unknown', metadata: { name: 'x' } })).not.toEqual([]);
  });

  it('kustomization.yaml (or an optional component) pulls in every manifest except the example Secret, and only files that exist', () => {
    const listed = [...kustomizedFiles(), ...OPTIONAL_COMPONENTS.flatMap((dir) => kustomizedFiles(dir))];
    const files = [...new Set(manifests.map((manifest) => manifest.file))];
    expect([...listed].sort()).toEqual(files.filter((file) => file !== EXAMPLE_SECRET_FILE).sort());
    expect(listed).not.toContain(EXAMPLE_SECRET_FILE);
    // Every listed file is a resource of exactly one kustomization.
    expect(new Set(listed).size).toBe(listed.length);
  });

  it('puts every namespaced object in the namespace it creates', () => {
    const namespace = theOne(manifests, 'Namespace');
    for (const { file, doc } of manifests.filter((manifest) => manifest.doc.kind !== 'Namespace')) {
      expect({ file, namespace: doc.metadata.namespace }).toEqual({ file, namespace: namespace.metadata.name });
    }
  });

  (kubectl ? it : it.skip)('kubectl kustomize renders valid objects, no example Secret, and one autoscaler for the Deployment', () => {
    const rendered = renderWithKubectl();
    for (const doc of rendered) {
      expect({ object: `${doc.kind} ${doc.metadata.name}`, errors: schemaErrors(doc) }).toEqual({
        object: `${doc.kind} ${doc.metadata.name}`,
        errors: [],
      });
    }
    expect(rendered.filter((doc) => doc.kind === 'Secret')).toEqual([]);
    const autoscalers = rendered.filter(
      (doc) =>
        (doc.kind === 'HorizontalPodAutoscaler' || doc.kind === 'ScaledObject') &&
        (doc as IHorizontalPodAutoscaler & K8sObject).spec?.scaleTargetRef.name === 'warren',
    );
    // Two autoscalers on one Deployment fight over its replicas (and KEDA's webhook rejects it).
    expect(autoscalers.map((doc) => doc.kind)).toEqual(['ScaledObject']);
    // Everything listed, less the HPA the keda component removes.
    const expected = manifests
      .filter(
        (manifest) => manifest.file !== EXAMPLE_SECRET_FILE && manifest.doc.kind !== 'HorizontalPodAutoscaler' && !inOptionalComponent(manifest.file),
      )
      .map((manifest) => `${manifest.doc.kind}/${manifest.doc.metadata.name}`);
    expect(rendered.map((doc) => `${doc.kind}/${doc.metadata.name}`).sort()).toEqual(expected.sort());
  });
});

describe('k8s manifests: the Deployment against the app', () => {
  let config: AppConfig;
  let routes: AppRoute[];

  beforeAll(async () => {
    // The ConfigMap's values through the app's own validation: a bad value fails here as it would at start-up.
    config = loadConfig({ ...configMap().data, AMQP_URL: NO_BROKER_URL });
    routes = await appRoutes(config);
  });

  const hasGetRoute = (path: string | undefined): boolean => routes.some((route) => route.method === 'GET' && route.path === path);

  it("the ConfigMap and the example Secret pass the app's config validation", () => {
    const amqpUrl = exampleSecret().stringData?.AMQP_URL;
    expect(amqpUrl).toBeDefined();
    expect(() => loadConfig({ ...configMap().data, AMQP_URL: amqpUrl })).not.toThrow();
  });

  // Only variables the app knows, each checked by the app's validation above; a variable left out
  // keeps its default, so a new setting needs no manifest change.
  it('sets only environment variables the app knows (no Service links injected either)', () => {
    const known = new Set(SETTING_TABLE.map((setting) => setting.env));
    const unknown = [...deploymentEnvironment().keys()].filter((name) => !known.has(name) && !RUNTIME_VARIABLES.has(name) && !isOtelVariable(name));
    expect(unknown).toEqual([]);
    expect(Object.keys(configMap().data ?? {}).filter((name) => !known.has(name))).toEqual([]);
    expect(Object.keys(exampleSecret().stringData ?? {}).filter((name) => !known.has(name))).toEqual([]);
    // Otherwise the kubelet adds <SERVICE>_HOST/_PORT variables for every Service in the namespace.
    expect(deployment().spec!.template.spec!.enableServiceLinks).toBe(false);
  });

  it('takes AMQP_URL (it carries the password) from the Secret only', () => {
    const amqpUrl = container().env?.find((variable) => variable.name === 'AMQP_URL');
    expect(amqpUrl?.valueFrom?.secretKeyRef).toEqual({ name: exampleSecret().metadata.name, key: 'AMQP_URL' });
    expect(configMap().data).not.toHaveProperty('AMQP_URL');
  });

  it("probes the app's health routes on its HTTP port: liveness never the broker, readiness the broker", () => {
    const { startupProbe, livenessProbe, readinessProbe } = container();
    expect(startupProbe?.httpGet?.path).toBe('/health/live');
    expect(livenessProbe?.httpGet?.path).toBe('/health/live');
    expect(readinessProbe?.httpGet?.path).toBe('/health/ready');
    for (const probe of [startupProbe, livenessProbe, readinessProbe]) {
      expect(hasGetRoute(probe?.httpGet?.path)).toBe(true);
      expect(containerPort(probe?.httpGet?.port)).toBe(config.port);
    }
  });

  it('the Service exposes the HTTP port only; the NetworkPolicy admits it from anywhere and the metrics port from monitoring only', () => {
    const service = theOne<IService>(manifests, 'Service', 'warren');
    expect(service.spec?.ports?.map((port) => containerPort(port.targetPort))).toEqual([config.port]);

    const policy = theOne<INetworkPolicy>(manifests, 'NetworkPolicy', 'warren');
    const rules = (policy.spec?.ingress ?? []).map((rule) => ({
      ports: rule.ports?.map((port) => containerPort(port.port)),
      from: rule.from?.map((peer) => ({
        namespaces: peer.namespaceSelector?.matchLabels,
        pods: peer.podSelector?.matchLabels,
        ipBlock: peer.ipBlock,
      })),
    }));
    expect(rules).toEqual([
      { ports: [config.port], from: undefined },
      { ports: [config.metricsPort], from: [{ namespaces: { 'kubernetes.io/metadata.name': 'monitoring' }, pods: undefined, ipBlock: undefined }] },
    ]);
    expect(config.metricsPort).not.toBe(config.port);
  });

  it('the Prometheus annotations name the metrics port and path the app serves, a container port of its own', () => {
    const annotations = deployment().spec!.template.metadata?.annotations ?? {};
    expect(annotations['prometheus.io/scrape']).toBe('true');
    expect(Number(annotations['prometheus.io/port'])).toBe(config.metricsPort);
    expect(containerPort('metrics')).toBe(config.metricsPort);
    expect(annotations['prometheus.io/path']).toBe(METRICS_PATH);
    // Not a route of the API port: MetricsServer serves it on METRICS_PORT.
    expect(hasGetRoute(METRICS_PATH)).toBe(false);
  });

  it('terminationGracePeriodSeconds outlasts preStop + lame-duck delay + drain + confirm flush', () => {
    const grace = deployment().spec!.template.spec!.terminationGracePeriodSeconds!;
    const preStop = preStopSleepSeconds();
    expect(preStop).toBeGreaterThanOrEqual(3);
    // What the app may spend after SIGTERM (src/shutdown, RabbitLifecycle): the lame-duck delay,
    // consumers draining, then outstanding publish confirms (bounded by the publish timeout).
    const { consume, publish } = resolveRabbitMQOptions(config.rabbitmq);
    const shutdownMs = config.shutdownDelayMs + consume.shutdownGraceMs + publish.timeoutMs;
    expect(grace).toBeGreaterThan(preStop + shutdownMs / 1000);
  });

  it('sizes the V8 heap at about 75 % of the memory limit', () => {
    const { requests, limits } = container().resources ?? {};
    const limitBytes = quantityToBytes(limits?.memory as string);
    expect(quantityToBytes(requests?.memory as string)).toBe(limitBytes);
    const nodeOptions = container().env?.find((variable) => variable.name === 'NODE_OPTIONS')?.value ?? '';
    const flag = nodeOptions.split(/\s+/).find((option) => option.startsWith('--max-old-space-size='));
    expect(flag).toBeDefined();
    const heapBytes = Number(flag!.split('=')[1]) * 2 ** 20;
    expect(heapBytes / limitBytes).toBeGreaterThanOrEqual(0.6);
    expect(heapBytes / limitBytes).toBeLessThanOrEqual(0.8);
    // An explicit pause watermark must sit below the limit (0 = derived from the cgroup limit).
    expect(config.rabbitmq.flow?.memoryHighWatermarkBytes ?? 0).toBeLessThan(limitBytes);
  });

  it('runs as non-root with a read-only root filesystem, no capabilities and the RuntimeDefault seccomp profile', () => {
    const pod = deployment().spec!.template.spec!;
    const security = container().securityContext!;
    expect(pod.securityContext?.runAsNonRoot).toBe(true);
    expect(pod.securityContext?.runAsUser).toBeGreaterThan(0);
    expect(pod.securityContext?.seccompProfile?.type).toBe('RuntimeDefault');
    expect(pod.automountServiceAccountToken).toBe(false);
    expect(security.runAsNonRoot).toBe(true);
    expect(security.readOnlyRootFilesystem).toBe(true);
    expect(security.allowPrivilegeEscalation).toBe(false);
    expect(security.capabilities?.drop).toEqual(['ALL']);
    expect(security.capabilities?.add ?? []).toEqual([]);
    expect(security.seccompProfile?.type).toBe('RuntimeDefault');
    // The only writable path is a size-limited emptyDir at /tmp.
    expect(container().volumeMounts).toEqual([{ name: 'tmp', mountPath: '/tmp' }]);
    expect(pod.volumes?.find((volume) => volume.name === 'tmp')?.emptyDir?.sizeLimit).toBeDefined();
  });

  it('rolls out without losing capacity and leaves the replica count to the autoscaler', () => {
    const spec = deployment().spec!;
    expect(spec.strategy?.type).toBe('RollingUpdate');
    expect(spec.strategy?.rollingUpdate?.maxUnavailable).toBe(0);
    expect(spec.replicas).toBeUndefined();
  });

  it('the Service, PodDisruptionBudget and NetworkPolicy select the pods of the Deployment', () => {
    const podLabels = deployment().spec!.template.metadata!.labels!;
    const matches = (selector: Record<string, string> | undefined): boolean =>
      selector !== undefined && Object.keys(selector).length > 0 && Object.entries(selector).every(([key, value]) => podLabels[key] === value);
    expect(matches(deployment().spec!.selector.matchLabels)).toBe(true);
    expect(matches(theOne<IService>(manifests, 'Service', 'warren').spec?.selector)).toBe(true);
    expect(matches(theOne<IPodDisruptionBudget>(manifests, 'PodDisruptionBudget', 'warren').spec?.selector?.matchLabels)).toBe(true);
    expect(matches(theOne<INetworkPolicy>(manifests, 'NetworkPolicy', 'warren').spec!.podSelector.matchLabels)).toBe(true);
  });

  it('readiness settings suit replicas that share queues', () => {
    // Every replica sees the same depth: a depth limit would take them all out of the Service at once.
    const { readiness, consume } = resolveRabbitMQOptions(config.rabbitmq);
    const [{ maxQueueDepth: readinessMaxQueueDepth, stuckConsumerMs }, { handlerTimeoutMs }] = [readiness, consume];
    expect(readinessMaxQueueDepth).toBe(0);
    // A handler may legitimately run up to its timeout without settling anything.
    expect(stuckConsumerMs).toBeGreaterThan(handlerTimeoutMs);
  });
});

describe('k8s manifests: autoscaling', () => {
  let queues: ServiceQueues;

  beforeAll(async () => {
    // Every queue the app declares, named with the ConfigMap's SERVICE_NAME and EVENTS_EXCHANGE.
    const config = loadConfig({ ...configMap().data, AMQP_URL: NO_BROKER_URL });
    queues = await discoverServiceQueues(AppModule.register(config));
  });

  it('KEDA scales on each queue the app consumes through exactly one rabbitmq QueueLength trigger, and on no DLQ, retry or unrouted queue', () => {
    expect(queues.consumed.length).toBeGreaterThan(0);
    expect(kedaTriggerProblems(scaledObject(), queues)).toEqual([]);
    const triggers = scaledObject().spec.triggers.filter((trigger) => trigger.type === 'rabbitmq');
    for (const trigger of triggers) {
      expect(trigger.metadata.mode).toBe('QueueLength');
      // Regex matching is done by the management API: KEDA refuses useRegex over amqp.
      if (trigger.metadata.useRegex === 'true') expect(trigger.metadata.protocol).toBe('http');
      expect(Number(trigger.metadata.value)).toBeGreaterThan(0);
      expect(theOne(manifests, 'TriggerAuthentication', trigger.authenticationRef?.name)).toBeDefined();
    }
  });

  it("KEDA reads queue lengths with credentials of its own, not the app's, from a Secret holding one URL", () => {
    const auth = theOne<ITriggerAuthentication>(manifests, 'TriggerAuthentication', 'warren-rabbitmq');
    const host = auth.spec.secretTargetRef?.find((ref) => ref.parameter === 'host');
    const appRef = container().env?.find((variable) => variable.name === 'AMQP_URL')?.valueFrom?.secretKeyRef;
    // A leaked KEDA secret must not be able to publish, consume or purge: another Secret, another user.
    expect(host?.name).not.toBe(appRef?.name);
    const kedaUrl = theOne<ISecret>(manifests, 'Secret', host!.name).stringData?.[host!.key];
    // KEDA's scaler takes exactly one URL (the app accepts a comma-separated list), of the management API for regex triggers.
    expect(kedaUrl).toMatch(/^https?:\/\/[^,]+$/);
    expect(new URL(kedaUrl!).username).not.toBe(new URL(exampleSecret().stringData!.AMQP_URL).username);
    // How to create that user is written where operators look: read-only (passive declare only) and tagged monitoring.
    const example = readFileSync(new URL(`../k8s/${EXAMPLE_SECRET_FILE}`, import.meta.url), 'utf8');
    const user = new URL(kedaUrl!).username;
    expect(example).toContain(`rabbitmqctl set_user_tags ${user} monitoring`);
    expect(example).toContain(`rabbitmqctl set_permissions -p / ${user} '^$' '^$' '^$'`);
  });

  it('the HPA and the ScaledObject scale the Deployment between the same bounds, with a CPU request to scale on', () => {
    const hpa = theOne<IHorizontalPodAutoscaler>(manifests, 'HorizontalPodAutoscaler', 'warren');
    const keda = scaledObject();
    for (const target of [hpa.spec?.scaleTargetRef, keda.spec.scaleTargetRef]) {
      expect({ kind: target?.kind ?? 'Deployment', name: target?.name }).toEqual({ kind: 'Deployment', name: 'warren' });
    }
    expect(hpa.spec?.minReplicas).toBeGreaterThanOrEqual(2);
    expect(keda.spec.minReplicaCount).toBe(hpa.spec?.minReplicas);
    expect(keda.spec.maxReplicaCount).toBe(hpa.spec?.maxReplicas);
    // CPU is kept when KEDA replaces the HPA; both need the container's CPU request.
    expect(keda.spec.triggers.filter((trigger) => trigger.type === 'cpu')).toHaveLength(1);
    expect(container().resources?.requests?.cpu).toBeDefined();
  });

  it('the keda component deletes the plain HPA, so only one autoscaler manages the Deployment', () => {
    const hpa = theOne<IHorizontalPodAutoscaler>(manifests, 'HorizontalPodAutoscaler', 'warren');
    const components = kustomizationDirs()
      .map((dir) => loadKustomization(dir))
      .filter((kustomization) => kustomization.kind === 'Component');
    const withScaledObject = components.filter((component) =>
      kustomizedFiles(component.dir).some((file) => manifests.some((m) => m.file === file && m.doc.kind === 'ScaledObject')),
    );
    expect(withScaledObject).toHaveLength(1);
    const deletes = withScaledObject[0].patches
      .map((patch) => patch.patch ?? '')
      .filter((patch) => patch.includes('$patch: delete'))
      .map((patch) => parseYaml(patch) as K8sObject);
    expect(deletes).toContainEqual(
      expect.objectContaining({ kind: 'HorizontalPodAutoscaler', metadata: expect.objectContaining({ name: hpa.metadata.name }) }),
    );
  });
});

describe('k8s manifests: the broker', () => {
  it('RabbitmqCluster: 3 replicas with resources and persistent storage, and the app declares quorum queues', () => {
    const cluster = rabbitmqCluster();
    expect(cluster.spec.replicas).toBe(3);
    const resources = cluster.spec.resources as { requests?: { memory?: string }; limits?: { memory?: string } };
    expect(resources.limits?.memory).toBeDefined();
    expect(resources.requests?.memory).toBe(resources.limits?.memory);
    expect(quantityToBytes(cluster.spec.persistence?.storage ?? 0)).toBeGreaterThan(0);
    expect(configMap().data?.QUEUE_TYPE).toBe('quorum');
  });

  it("RabbitmqCluster: the broker's max_message_size is the app's MAX_MESSAGE_BYTES, so no producer can put a bigger body in a queue", () => {
    const config = rabbitmqCluster().spec.rabbitmq?.additionalConfig ?? '';
    const sizes = [...config.matchAll(/^\s*max_message_size\s*=\s*(\d+)\s*$/gm)].map((match) => Number(match[1]));
    expect(sizes).toEqual([Number(configMap().data?.MAX_MESSAGE_BYTES)]);
  });

  it("AMQP_URL's example host, the NetworkPolicy's egress and the broker's PDB all point at the RabbitmqCluster", () => {
    const cluster = rabbitmqCluster();
    const url = new URL(exampleSecret().stringData!.AMQP_URL);
    // The operator's Service is named after the cluster.
    expect(url.hostname).toBe(`${cluster.metadata.name}.${cluster.metadata.namespace}.svc`);

    const egress = theOne<INetworkPolicy>(manifests, 'NetworkPolicy', 'warren').spec!.egress ?? [];
    const amqp = egress.find((rule) => rule.ports?.some((port) => port.port === 5672));
    // The operator labels the cluster's pods app.kubernetes.io/name=<cluster name>.
    expect(amqp?.to?.map((peer) => peer.podSelector?.matchLabels)).toEqual([{ 'app.kubernetes.io/name': cluster.metadata.name }]);
    expect(amqp?.ports?.map((port) => port.port).sort()).toEqual([5671, 5672]);
    const dns = egress.find((rule) => rule.ports?.some((port) => port.port === 53));
    expect(dns?.ports?.map((port) => port.protocol).sort()).toEqual(['TCP', 'UDP']);

    const pdb = theOne<IPodDisruptionBudget>(manifests, 'PodDisruptionBudget', cluster.metadata.name);
    expect(pdb.spec?.selector?.matchLabels).toEqual({ 'app.kubernetes.io/name': cluster.metadata.name });
    expect(pdb.spec?.maxUnavailable).toBe(1);
  });

  it('OpenTelemetry: the OTLP endpoint is a collector the NetworkPolicy admits, and the sampler follows the caller', () => {
    const otel = new Map(
      (container().env ?? []).filter((variable) => isOtelVariable(variable.name)).map((variable) => [variable.name, variable.value]),
    );
    const endpoint = new URL(otel.get('OTEL_EXPORTER_OTLP_ENDPOINT') ?? '');
    expect(endpoint.protocol).toBe('http:');
    expect(otel.get('OTEL_EXPORTER_OTLP_PROTOCOL')).toBe('http/protobuf');
    expect(otel.get('OTEL_SERVICE_NAME')).toBe(configMap().data?.SERVICE_NAME);
    expect(otel.get('OTEL_PROPAGATORS')?.split(',')).toEqual(['tracecontext', 'baggage']);
    expect(otel.get('OTEL_TRACES_SAMPLER')).toMatch(/^parentbased_/);
    // <service>.<namespace>.svc...: egress to that namespace on the endpoint's port.
    const namespace = endpoint.hostname.split('.')[1];
    const egress = theOne<INetworkPolicy>(manifests, 'NetworkPolicy', 'warren').spec!.egress ?? [];
    const otlp = egress.find((rule) => rule.ports?.some((port) => port.port === Number(endpoint.port)));
    expect(otlp?.to?.map((peer) => peer.namespaceSelector?.matchLabels)).toEqual([{ 'kubernetes.io/metadata.name': namespace }]);
  });
});

describe('k8s manifests: network and pod security', () => {
  type Peer = { namespaceSelector?: { matchLabels?: Record<string, string> }; podSelector?: { matchLabels?: Record<string, string> } };
  const peers = (from: Peer[] | undefined) =>
    (from ?? []).map((peer) => ({ namespaces: peer.namespaceSelector?.matchLabels, pods: peer.podSelector?.matchLabels }));
  const rabbitmqPolicy = () => theOne<INetworkPolicy>(manifests, 'NetworkPolicy', 'rabbitmq');
  /** Who the RabbitMQ pods admit on `port`. */
  const admittedOn = (port: number) =>
    (rabbitmqPolicy().spec?.ingress ?? []).filter((rule) => rule.ports?.some((p) => p.port === port)).flatMap((rule) => peers(rule.from as Peer[]));

  it("the RabbitMQ pods admit AMQP from warren's pods only, management from monitoring and KEDA, metrics from monitoring only", () => {
    const cluster = rabbitmqCluster();
    expect(rabbitmqPolicy().spec?.podSelector.matchLabels).toEqual({ 'app.kubernetes.io/name': cluster.metadata.name });
    expect(rabbitmqPolicy().spec?.policyTypes).toContain('Ingress');
    const warrenPods = deployment().spec!.template.metadata!.labels!['app.kubernetes.io/name'];
    const amqpPeers = [{ namespaces: undefined, pods: { 'app.kubernetes.io/name': warrenPods } }];
    const monitoring = { namespaces: { 'kubernetes.io/metadata.name': 'monitoring' }, pods: undefined };
    const keda = { namespaces: { 'kubernetes.io/metadata.name': 'keda' }, pods: { app: 'keda-operator' } };
    expect(admittedOn(5672)).toEqual(amqpPeers);
    expect(admittedOn(5671)).toEqual(amqpPeers);
    // KEDA reads queue lengths from the management API (its regex triggers need the http protocol).
    expect(admittedOn(15672)).toEqual([monitoring, keda]);
    expect(admittedOn(15692)).toEqual([monitoring]);
    // Clustering stays between the nodes themselves; no rule admits from everywhere (an empty "from").
    for (const port of [4369, 25672])
      expect(admittedOn(port)).toEqual([{ namespaces: undefined, pods: { 'app.kubernetes.io/name': cluster.metadata.name } }]);
    for (const rule of rabbitmqPolicy().spec?.ingress ?? []) expect(rule.from?.length).toBeGreaterThan(0);
  });

  it("warren's DNS egress goes to kube-dns only, not to any address on port 53", () => {
    const egress = theOne<INetworkPolicy>(manifests, 'NetworkPolicy', 'warren').spec!.egress ?? [];
    const dns = egress.filter((rule) => rule.ports?.some((port) => port.port === 53));
    expect(dns).toHaveLength(1);
    expect(peers(dns[0].to as Peer[])).toEqual([{ namespaces: { 'kubernetes.io/metadata.name': 'kube-system' }, pods: { 'k8s-app': 'kube-dns' } }]);
    // Every egress rule names its destination.
    for (const rule of egress) expect(rule.to?.length).toBeGreaterThan(0);
  });

  it('the namespace enforces the restricted Pod Security profile, and the RabbitMQ pods are set up to meet it', () => {
    const labels = theOne(manifests, 'Namespace').metadata.labels ?? {};
    expect(labels['pod-security.kubernetes.io/enforce']).toBe('restricted');
    expect(labels['pod-security.kubernetes.io/warn']).toBe('restricted');
    type Container = { name: string; securityContext?: { allowPrivilegeEscalation?: boolean; capabilities?: { drop?: string[] } } };
    type PodSpec = {
      securityContext?: { runAsNonRoot?: boolean; seccompProfile?: { type?: string } };
      containers: Container[];
      initContainers: Container[];
    };
    const pod = (rabbitmqCluster().spec as { override?: { statefulSet?: { spec?: { template?: { spec?: PodSpec } } } } }).override?.statefulSet?.spec
      ?.template?.spec;
    expect(pod?.securityContext).toEqual({ runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } });
    // The operator's containers: the broker and its init container.
    expect([...(pod?.containers ?? []), ...(pod?.initContainers ?? [])].map((c) => [c.name, c.securityContext])).toEqual(
      ['rabbitmq', 'setup-container'].map((name) => [name, { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } }]),
    );
  });
});

describe('k8s manifests: the image', () => {
  it('is pinned by digest or by the commit-SHA tag CI pushes, never a tag that moves', () => {
    const pins = (parseYaml(readFileSync(new URL('../k8s/kustomization.yaml', import.meta.url), 'utf8')) as { images?: Record<string, string>[] })
      .images;
    const image = container().image!;
    expect(pins?.map((pin) => pin.name)).toEqual([image]);
    const [pin] = pins!;
    const pinned = /^sha256:[0-9a-f]{64}$/.test(pin.digest ?? '') || /^[0-9a-f]{40}$/.test(pin.newTag ?? '');
    expect({ pin, pinned }).toEqual({ pin, pinned: true });
    // The Deployment names no tag of its own: one place pins it.
    expect(image).not.toMatch(/[:@]/);
  });

  (kubectl ? it : it.skip)('kubectl kustomize renders the pinned image', () => {
    const rendered = renderWithKubectl().find((doc) => doc.kind === 'Deployment') as (IDeployment & K8sObject) | undefined;
    expect(rendered?.spec?.template.spec?.containers[0].image).toMatch(/^warren(:[0-9a-f]{40}|@sha256:[0-9a-f]{64})$/);
  });

  /** Instructions of the Dockerfile's last (runtime) stage, continuation lines joined. */
  const runtimeStage = (): { instruction: string; args: string }[] => {
    const text = readFileSync(new URL('../Dockerfile', import.meta.url), 'utf8').replace(/\\\r?\n/g, ' ');
    const lines = text
      .split(/\r?\n/)
      .map((line) => line.trim())
      .filter((line) => line !== '' && !line.startsWith('#'))
      .map((line) => {
        const [instruction, ...rest] = line.split(/\s+/);
        return { instruction: instruction.toUpperCase(), args: rest.join(' ') };
      });
    const lastFrom = lines.map((line) => line.instruction).lastIndexOf('FROM');
    return lines.slice(lastFrom);
  };

  it("runs as the Deployment's user and exposes its port", () => {
    const stage = runtimeStage();
    const user = stage.filter((line) => line.instruction === 'USER').at(-1)?.args;
    expect(user?.split(':')[0]).toBe(String(deployment().spec!.template.spec!.securityContext!.runAsUser));
    const exposed = stage.filter((line) => line.instruction === 'EXPOSE').flatMap((line) => line.args.split(/\s+/));
    expect(exposed).toContain(String(container().ports![0].containerPort));
  });
});
