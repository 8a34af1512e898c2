import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';
import { configSchema } from '../../lib/config';
import { WORKER_PROCESS_ENV } from '../../worker/process-env';

/**
 * The production manifests (infra/k8s) cannot be applied here, so every object is validated
 * against the Kubernetes JSON schema of its kind (the OpenAPI schemas compiled by the
 * `kubernetes-models` package), and the wiring between objects is checked.
 */

const DIR = path.resolve(__dirname, '../../infra/k8s');
const VALIDATOR = path.resolve(__dirname, '../support/validate-k8s.mjs');

interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; annotations?: Record<string, string> };
  // biome-ignore lint/suspicious/noExplicitAny: manifests are checked field by field below
  spec?: any;
  data?: Record<string, string>;
  stringData?: Record<string, string>;
}

const files = fs
  .readdirSync(DIR)
  .filter((f) => /\.ya?ml$/.test(f))
  .sort();
const parsed = files.flatMap((file) =>
  parseAllDocuments(fs.readFileSync(path.join(DIR, file), 'utf8')).map((doc, i) => {
    if (doc.errors.length > 0) throw new Error(`${file} document ${i}: ${doc.errors[0]?.message}`);
    return { file, object: doc.toJS() as K8sObject };
  }),
);
const kustomization = parsed.find((p) => p.object.kind === 'Kustomization');
const objects = parsed.filter((p) => p.object !== null && p.object.kind !== 'Kustomization');
const byKind = (kind: string) => objects.filter((o) => o.object.kind === kind).map((o) => o.object);
const find = (kind: string, name: string) => byKind(kind).find((o) => o.metadata.name === name);

test('every YAML file parses and holds Kubernetes objects', () => {
  expect(files.length).toBeGreaterThanOrEqual(6);
  expect(objects.length).toBeGreaterThanOrEqual(12);
  for (const { file, object } of objects) {
    expect({ file, apiVersion: typeof object.apiVersion, kind: typeof object.kind }).toEqual({
      file,
      apiVersion: 'string',
      kind: 'string',
    });
    expect(object.metadata?.name).toMatch(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/);
  }
});

test('every object is valid against the JSON schema of its kind', () => {
  const out = execFileSync(process.execPath, [VALIDATOR], {
    input: JSON.stringify(objects.map((o) => o.object)),
    encoding: 'utf8',
  });
  const results = JSON.parse(out) as Array<{ index: number; kind: string; name: string; errors: string[] }>;
  expect(results).toHaveLength(objects.length);
  const failures = results
    .filter((r) => r.errors.length > 0)
    .map((r) => `${objects[r.index]?.file}: ${r.kind}/${r.name}: ${r.errors.join('; ')}`);
  expect(failures).toEqual([]);
});

test('the schema check does catch a broken manifest', () => {
  const broken = structuredClone(find('Deployment', 'ticket-vault-api')) as K8sObject;
  broken.spec.replicas = 'two';
  delete broken.spec.template.spec.containers[0].name;
  const out = execFileSync(process.execPath, [VALIDATOR], {
    input: JSON.stringify([broken]),
    encoding: 'utf8',
  });
  const [result] = JSON.parse(out) as Array<{ errors: string[] }>;
  expect(result?.errors.join('\n')).toMatch(/replicas must be integer/);
  expect(result?.errors.join('\n')).toMatch(/required property name/);
});

test('kustomization lists every manifest except the example Secret', () => {
  expect(kustomization).toBeDefined();
  const listed = (kustomization?.object as unknown as { resources?: string[] } | undefined)?.resources;
  expect(new Set(listed)).toEqual(
    new Set(files.filter((f) => f !== 'kustomization.yaml' && !f.includes('example'))),
  );
});

describe.each(['ticket-vault-api', 'ticket-vault-worker'])('%s', (name) => {
  const deployment = find('Deployment', name) as K8sObject;
  const pod = deployment?.spec.template.spec;
  const main = pod?.containers[0];

  test('has probes, resource requests and limits, and runs as non-root', () => {
    expect(main.startupProbe.httpGet.path).toBe('/healthz');
    expect(main.livenessProbe).toBeDefined();
    expect(main.resources.requests).toMatchObject({ cpu: expect.any(String), memory: expect.any(String) });
    expect(main.resources.limits.memory).toEqual(expect.any(String));
    expect(pod.securityContext.runAsNonRoot).toBe(true);
    expect(main.securityContext.readOnlyRootFilesystem).toBe(true);
  });

  test('reads the ConfigMap and Secret that exist, as the workload-identity service account', () => {
    expect(main.envFrom).toEqual([
      { configMapRef: { name: 'ticket-vault-config' } },
      { secretRef: { name: 'ticket-vault-secrets' } },
    ]);
    expect(find('ConfigMap', 'ticket-vault-config')).toBeDefined();
    expect(find('Secret', 'ticket-vault-secrets')).toBeDefined();
    expect(pod.serviceAccountName).toBe('ticket-vault');
    expect(
      find('ServiceAccount', 'ticket-vault')?.metadata.annotations?.['iam.gke.io/gcp-service-account'],
    ).toMatch(/@.+\.iam\.gserviceaccount\.com$/);
  });

  test('is scaled by an HPA and selected by its labels', () => {
    const hpa = byKind('HorizontalPodAutoscaler').find((h) => h.spec.scaleTargetRef.name === name);
    expect(hpa?.spec.scaleTargetRef).toEqual({ apiVersion: 'apps/v1', kind: 'Deployment', name });
    expect(hpa?.spec.minReplicas).toBeGreaterThanOrEqual(2);
    const labels = deployment.spec.template.metadata.labels;
    for (const [k, v] of Object.entries(deployment.spec.selector.matchLabels)) expect(labels[k]).toBe(v);
  });
});

test('the API readiness probe is /healthz and its Service targets the named port', () => {
  const api = find('Deployment', 'ticket-vault-api') as K8sObject;
  const container = api.spec.template.spec.containers[0];
  expect(container.readinessProbe.httpGet).toEqual({ path: '/healthz', port: 'http' });
  const service = find('Service', 'ticket-vault-api') as K8sObject;
  expect(service.spec.selector).toEqual({ 'app.kubernetes.io/name': 'ticket-vault-api' });
  expect(container.ports.map((p: { name: string }) => p.name)).toContain(service.spec.ports[0].targetPort);
});

test('every ConfigMap key is a setting lib/config.ts knows', () => {
  const known = new Set(Object.keys(configSchema.shape));
  const data = find('ConfigMap', 'ticket-vault-config')?.data ?? {};
  expect(Object.keys(data).filter((k) => !known.has(k))).toEqual([]);
  const secret = find('Secret', 'ticket-vault-secrets')?.stringData ?? {};
  expect(Object.keys(secret).filter((k) => !known.has(k))).toEqual([]);
});

test('the worker runs the build the image makes, with the workflow bundle built beside it', () => {
  const dockerfile = fs.readFileSync(path.resolve(__dirname, '../../Dockerfile'), 'utf8');
  const worker = find('Deployment', 'ticket-vault-worker')?.spec.template.spec.containers[0];
  expect(worker.command).toEqual(['node', 'dist/worker/main.cjs']);
  // The image builds it (before dev dependencies are pruned) and names the bundle the worker loads.
  expect(dockerfile).toMatch(/npm run build:worker && npm prune/);
  const bundle = /WORKER_WORKFLOW_BUNDLE=(\S+)/.exec(dockerfile)?.[1];
  expect(bundle).toBe('/app/dist/worker/workflow-bundle.js');
  expect(dockerfile).toMatch(/^WORKDIR \/app$/m);
});

test('the worker Deployment sets the process environment the worker needs before node starts', () => {
  const worker = find('Deployment', 'ticket-vault-worker')?.spec.template.spec.containers[0];
  const env = Object.fromEntries(
    (worker.env as { name: string; value: string }[]).map((e) => [e.name, e.value]),
  );
  for (const [name, value] of Object.entries(WORKER_PROCESS_ENV))
    expect({ name, value: env[name] }).toEqual({ name, value });
});
