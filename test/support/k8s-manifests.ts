import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse, parseAllDocuments } from 'yaml';

/** The repository's k8s/ directory. */
export const K8S_DIR = fileURLToPath(new URL('../../k8s/', import.meta.url));

const KUSTOMIZATION_FILE = 'kustomization.yaml';

/** The fields of a Kubernetes object the tests read everywhere; the rest is per kind. */
export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  [field: string]: unknown;
}

/** One YAML document of a manifest file under k8s/. */
export interface Manifest {
  /** Path relative to k8s/, e.g. `keda/scaled-object.yaml`. */
  file: string;
  doc: K8sObject;
}

/** A kustomization.yaml (a Kustomization or a Component) and the directory it lives in. */
export interface Kustomization {
  /** Directory relative to k8s/ ('' for k8s/ itself). */
  dir: string;
  kind: string;
  resources: string[];
  components: string[];
  patches: { patch?: string; path?: string }[];
}

/** Every object in every manifest file under k8s/ (kustomization files excepted), in file order. */
export function loadManifests(dir = K8S_DIR): Manifest[] {
  return yamlFiles(dir)
    .filter((file) => !file.endsWith(KUSTOMIZATION_FILE))
    .flatMap((file) => parseYamlDocuments(join(dir, file)).map((doc) => ({ file, doc: doc as K8sObject })));
}

/** The kustomization at `dir` (relative to k8s/), with its list fields defaulted to []. */
export function loadKustomization(dir = '', root = K8S_DIR): Kustomization {
  const raw = parse(readFileSync(join(root, dir, KUSTOMIZATION_FILE), 'utf8')) as Partial<Kustomization>;
  return {
    dir,
    kind: raw.kind ?? 'Kustomization',
    resources: raw.resources ?? [],
    components: raw.components ?? [],
    patches: raw.patches ?? [],
  };
}

/**
 * The manifest files the kustomization at k8s/ pulls in, through its resources and components
 * (recursively), as paths relative to k8s/. Directories listed as resources are followed too.
 */
export function kustomizedFiles(dir = '', root = K8S_DIR): string[] {
  const kustomization = loadKustomization(dir, root);
  const files: string[] = [];
  for (const entry of [...kustomization.resources, ...kustomization.components]) {
    const path = relative(root, join(root, dir, entry));
    if (entry.endsWith('.yaml') || entry.endsWith('.yml')) {
      files.push(path);
    } else {
      files.push(...kustomizedFiles(path, root));
    }
  }
  return files;
}

/** Every kustomization directory reachable from k8s/ (k8s/ itself first). */
export function kustomizationDirs(dir = '', root = K8S_DIR): string[] {
  const kustomization = loadKustomization(dir, root);
  const nested = [...kustomization.resources, ...kustomization.components]
    .filter((entry) => !entry.endsWith('.yaml') && !entry.endsWith('.yml'))
    .flatMap((entry) => kustomizationDirs(relative(root, join(root, dir, entry)), root));
  return [dir, ...nested];
}

/** Whether a usable kubectl is on PATH (it bundles kustomize). */
export function hasKubectl(): boolean {
  try {
    execFileSync('kubectl', ['version', '--client'], { stdio: 'ignore', timeout: 15_000 });
    return true;
  } catch {
    return false;
  }
}

/** `kubectl kustomize k8s`: what `kubectl apply -k k8s` would send to the cluster. */
export function renderWithKubectl(dir = K8S_DIR): K8sObject[] {
  const output = execFileSync('kubectl', ['kustomize', dir], { encoding: 'utf8', timeout: 60_000 });
  return parseAllDocuments(output)
    .map((doc) => doc.toJS() as K8sObject | null)
    .filter((doc): doc is K8sObject => doc !== null);
}

/** The one object of this kind (and name, if given); throws naming what was found otherwise. */
export function theOne<T = K8sObject>(objects: readonly K8sObject[] | readonly Manifest[], kind: string, name?: string): T & K8sObject {
  const docs = objects.map((item): K8sObject => ('file' in item ? (item as Manifest).doc : item));
  const found = docs.filter((doc) => doc.kind === kind && (name === undefined || doc.metadata?.name === name));
  if (found.length !== 1) {
    const what = name === undefined ? kind : `${kind} ${name}`;
    throw new Error(`expected exactly one ${what} under k8s/, found ${found.length}`);
  }
  return found[0] as T & K8sObject;
}

/** Relative paths of the YAML files under `dir`, sorted. */
function yamlFiles(dir: string, base = dir): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .flatMap((entry) => {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) return yamlFiles(path, base);
      return /\.ya?ml$/.test(entry.name) ? [relative(base, path)] : [];
    })
    .sort();
}

/** The non-empty documents of a YAML file; a syntax error fails loudly with the file name. */
function parseYamlDocuments(path: string): unknown[] {
  return parseAllDocuments(readFileSync(path, 'utf8'))
    .map((doc) => {
      if (doc.errors.length > 0) {
        throw new Error(`${path}: ${doc.errors.map((error) => error.message).join('; ')}`);
      }
      return doc.toJS() as unknown;
    })
    .filter((doc) => doc !== null && doc !== undefined);
}
