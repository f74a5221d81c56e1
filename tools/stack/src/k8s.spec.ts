import { readFileSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parse, parseAllDocuments } from 'yaml';

// The kustomize base in deploy/k8s/base, checked offline: every manifest against the Kubernetes
// schemas shipped by the kubernetes-models package (no cluster, no network), and against what the
// apps serve (ports, health endpoints).

const ROOT = resolve(__dirname, '..', '..', '..');
const BASE = join(ROOT, 'deploy', 'k8s', 'base');

interface Manifest {
  apiVersion: string;
  kind: string;
  metadata: { name: string; labels?: Record<string, string> };
  spec?: any; // eslint-disable-line @typescript-eslint/no-explicit-any
  data?: Record<string, string>;
  stringData?: Record<string, string>;
}

const kustomization = parse(readFileSync(join(BASE, 'kustomization.yaml'), 'utf8')) as { resources: string[] };
const manifests: { file: string; doc: Manifest }[] = kustomization.resources.flatMap((file) =>
  parseAllDocuments(readFileSync(join(BASE, file), 'utf8')).map((d) => ({ file, doc: d.toJS() as Manifest })),
);

/** The kubernetes-models class of a built-in kind (e.g. apps/v1 Deployment), with its JSON-schema validate(). */
function modelOf(apiVersion: string, kind: string): new (data: object) => { validate(): void } {
  const group = apiVersion.includes('/') ? apiVersion : `core/${apiVersion}`;
  const path = group.startsWith('core/')
    ? `kubernetes-models/${group.slice(5)}/${kind}`
    : `kubernetes-models/${group}/${kind}`;
  return require(path)[kind];
}

const APPS = [
  { name: 'greeter', http: 3001, extra: { grpc: 50051 } },
  { name: 'producer', http: 3000, extra: {} },
  { name: 'consumer', http: 3002, extra: {} },
  { name: 'event-handler', http: 3003, extra: { 'line-echo': 8888 } },
];

const find = (kind: string, name: string) =>
  manifests.find((m) => m.doc.kind === kind && m.doc.metadata.name === name)?.doc;

describe('Kubernetes manifests (deploy/k8s/base)', () => {
  it('should list every manifest file of the base in its kustomization', () => {
    const files = readdirSync(BASE).filter((f) => f.endsWith('.yaml') && f !== 'kustomization.yaml');
    expect([...kustomization.resources].sort()).toEqual(files.sort());
  });

  it.each(
    manifests
      .filter((m) => m.doc.apiVersion !== 'rabbitmq.com/v1beta1')
      .map((m) => [`${m.doc.kind}/${m.doc.metadata.name}`, m.doc] as const),
  )('should validate %s against the Kubernetes schema', (_, doc) => {
    const Model = modelOf(doc.apiVersion, doc.kind);
    expect(() => new Model(doc).validate()).not.toThrow();
  });

  it('should reject a manifest that breaks the schema (the validation is real)', () => {
    const deployment = structuredClone(find('Deployment', 'consumer') as Manifest);
    deployment.spec.replicas = 'three';
    const Model = modelOf('apps/v1', 'Deployment');
    expect(() => new Model(deployment).validate()).toThrow(/replicas/);
  });

  it('should run RabbitMQ as a three-node RabbitmqCluster of the Cluster Operator', () => {
    const cluster = find('RabbitmqCluster', 'hello-rabbitmq') as Manifest;
    expect(cluster.apiVersion).toBe('rabbitmq.com/v1beta1');
    expect(cluster.spec.replicas).toBe(3);
    expect(cluster.spec.resources.requests).toEqual(
      expect.objectContaining({ cpu: expect.any(String), memory: expect.any(String) }),
    );
  });

  describe.each(APPS)('app $name', (app) => {
    const deployment = find('Deployment', app.name) as Manifest;
    const service = find('Service', app.name) as Manifest;
    const budget = find('PodDisruptionBudget', app.name) as Manifest;
    const container = deployment?.spec.template.spec.containers[0];

    it('should have a Deployment, a Service and a PodDisruptionBudget selecting its pods', () => {
      const labels = deployment.spec.template.metadata.labels;
      expect(deployment.spec.selector.matchLabels).toEqual({ 'app.kubernetes.io/name': app.name });
      expect(labels).toMatchObject(deployment.spec.selector.matchLabels);
      expect(labels).toMatchObject(service.spec.selector);
      expect(labels).toMatchObject(budget.spec.selector.matchLabels);
      expect(deployment.spec.replicas).toBeGreaterThanOrEqual(2);
    });

    it('should probe /health/live and /health/ready on its HTTP port and request resources', () => {
      const ports = Object.fromEntries(
        container.ports.map((p: { name: string; containerPort: number }) => [p.name, p.containerPort]),
      );
      expect(ports).toEqual({ http: app.http, ...app.extra });
      expect(container.livenessProbe.httpGet).toEqual({ path: '/health/live', port: 'http' });
      expect(container.readinessProbe.httpGet).toEqual({ path: '/health/ready', port: 'http' });
      expect(container.resources.requests).toEqual(
        expect.objectContaining({ cpu: expect.any(String), memory: expect.any(String) }),
      );
      const servicePorts = Object.fromEntries(
        service.spec.ports.map((p: { name: string; port: number }) => [p.name, p.port]),
      );
      expect(servicePorts).toEqual(ports);
    });

    it('should take its settings from the ConfigMap and Secrets, RabbitMQ from the operator', () => {
      expect(container.envFrom).toEqual([{ configMapRef: { name: 'hello-mesh-config' } }]);
      expect(find('ConfigMap', 'hello-mesh-config')).toBeDefined();
      const env = Object.fromEntries(container.env.map((e: { name: string }) => [e.name, e]));
      expect(env['RABBITMQ_URL'].value).toBe('amqp://$(RABBITMQ_USER):$(RABBITMQ_PASSWORD)@hello-rabbitmq:5672');
      expect(env['RABBITMQ_PASSWORD'].valueFrom.secretKeyRef).toEqual({
        name: 'hello-rabbitmq-default-user',
        key: 'password',
      });
      for (const e of container.env) {
        const ref = e.valueFrom?.secretKeyRef;
        if (ref && ref.name !== 'hello-rabbitmq-default-user')
          expect(find('Secret', ref.name)?.stringData?.[ref.key]).toBeDefined();
      }
    });
  });

  it('should give the event-handler PostgreSQL by URL', () => {
    const container = (find('Deployment', 'event-handler') as Manifest).spec.template.spec.containers[0];
    const url = container.env.find((e: { name: string }) => e.name === 'EVENT_HANDLER_DATABASE_URL');
    expect(url.valueFrom.secretKeyRef).toEqual({ name: 'hello-mesh-secrets', key: 'EVENT_HANDLER_DATABASE_URL' });
    expect((find('Secret', 'hello-mesh-secrets') as Manifest).stringData?.['EVENT_HANDLER_DATABASE_URL']).toMatch(
      /^postgres:\/\//,
    );
  });
});
