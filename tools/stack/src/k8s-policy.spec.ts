import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { Topology } from '@hello/contracts';
import { installDebianPackage } from '@hello/infra/host';

// The overlays in deploy/k8s/overlays, rendered as `kubectl apply -k` would send them, checked for what
// the kubelet and the Pod Security "restricted" profile refuse at run time and the schemas cannot see:
// a non-numeric or root user, privilege escalation, capabilities, seccomp, a writable root filesystem
// (and then somewhere to write), floating image tags, probes on ports the app does not listen on,
// ConfigMap/Secret keys nobody defines, disruption budgets that block drains, the KEDA objects' shape.

const ROOT = resolve(__dirname, '..', '..', '..');
const OVERLAYS = ['example', 'example-keda'];

/** Secrets made at run time by an operator, not by the manifests: their keys cannot be checked here. */
const OPERATOR_SECRETS: Record<string, string[]> = {
  // The RabbitMQ Cluster Operator's default-user Secret of the RabbitmqCluster hello-rabbitmq.
  'hello-rabbitmq-default-user': ['username', 'password', 'host', 'port', 'connection_string'],
};

/** Reads the port settings of each app from its own configuration loader (the defaults it listens on). */
const CONFIG_LOADERS: Record<string, (env: Record<string, string>) => { ports: Record<string, number> }> = {
  greeter: (env) => {
    const config = loadApp('greeter/src/config/greeter.config', 'loadGreeterConfig')(env);
    return { ports: { http: config.httpPort, grpc: Number(String(config.grpcUrl).split(':').pop()) } };
  },
  producer: (env) => ({
    ports: { http: loadApp('producer/src/config/producer.config', 'loadProducerConfig')(env).httpPort },
  }),
  consumer: (env) => ({
    ports: { http: loadApp('consumer/src/config/consumer.config', 'loadConsumerConfig')(env).httpPort },
  }),
  'event-handler': (env) => {
    const config = loadApp('event-handler/src/config/event-handler.config', 'loadConfig')(env);
    return { ports: { http: config.httpPort, 'line-echo': config.tcpPort }, dataDir: config.dataDir } as never;
  },
};

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Loader = (env: Record<string, string>) => any;
function loadApp(file: string, name: string): Loader {
  // A path, not an import: the apps are not libraries, only their configuration defaults are read.
  return require(join(ROOT, 'apps', file))[name];
}

/** A rendered manifest, read field by field as the API server would (any shape may arrive). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Doc = any;

/** kubectl (its built-in kustomize renders the overlays offline), installed from the OS packages when missing. */
function kubectl(): string {
  const found = ['/usr/bin/kubectl', '/usr/local/bin/kubectl'].find((file) => existsSync(file));
  if (found) return found;
  installDebianPackage('kubectl', {
    log: (message) => process.stderr.write(`[kubectl] ${message}\n`),
    cannotInstall: 'kubectl is missing: install it (https://kubernetes.io/docs/tasks/tools/) to render the overlays',
  });
  return 'kubectl';
}

function render(overlay: string): Doc[] {
  const text = execFileSync(kubectl(), ['kustomize', join(ROOT, 'deploy', 'k8s', 'overlays', overlay)], {
    encoding: 'utf8',
  });
  return parseAllDocuments(text).map((d) => d.toJS() as Doc);
}

const nameOf = (d: Doc) => `${d.kind}/${d.metadata.name}`;

/** Every way the rendered documents would fail to start or to pass the restricted profile. */
function violations(docs: Doc[]): string[] {
  const found: string[] = [];
  const byKind = (kind: string) => docs.filter((d) => d.kind === kind);
  const secrets = new Map(
    byKind('Secret').map((s) => [s.metadata.name, new Set(Object.keys({ ...s.data, ...s.stringData }))]),
  );
  const configMaps = new Map(byKind('ConfigMap').map((c) => [c.metadata.name, c.data ?? {}]));
  const secretHas = (name: string, key?: string) =>
    OPERATOR_SECRETS[name]
      ? key === undefined || OPERATOR_SECRETS[name].includes(key)
      : key === undefined
        ? secrets.has(name)
        : !!secrets.get(name)?.has(key);

  const namespaces = byKind('Namespace');
  if (namespaces.length !== 1) found.push(`expected one Namespace, found ${namespaces.length}`);
  const namespace = namespaces[0];
  if (namespace && namespace.metadata.labels?.['pod-security.kubernetes.io/enforce'] !== 'restricted')
    found.push(`Namespace/${namespace.metadata.name}: not labelled pod-security.kubernetes.io/enforce=restricted`);
  for (const d of docs)
    if (d.kind !== 'Namespace' && d.metadata.namespace !== namespace?.metadata.name)
      found.push(`${nameOf(d)}: in namespace ${d.metadata.namespace}, not ${namespace?.metadata.name}`);

  const scaled = new Map(byKind('ScaledObject').map((s) => [s.spec.scaleTargetRef.name, s]));

  for (const deployment of byKind('Deployment')) {
    const where = nameOf(deployment);
    const pod = deployment.spec.template.spec;
    const podContext = pod.securityContext ?? {};
    const volumes = new Map<string, Doc>((pod.volumes ?? []).map((v: Doc) => [v.name, v]));
    for (const container of pod.containers) {
      const at = `${where} container ${container.name}`;
      const context = { ...podContext, ...container.securityContext };
      if (context.runAsNonRoot !== true) found.push(`${at}: runAsNonRoot is not true`);
      // The kubelet checks runAsNonRoot against a number only: without runAsUser it reads the image's
      // USER, which must then be numeric (checked on the Dockerfile below).
      for (const field of ['runAsUser', 'runAsGroup'])
        if (!Number.isInteger(context[field]) || context[field] === 0)
          found.push(`${at}: ${field} is not a non-zero number`);
      if (context.seccompProfile?.type !== 'RuntimeDefault' && context.seccompProfile?.type !== 'Localhost')
        found.push(`${at}: seccompProfile is not RuntimeDefault`);
      const own = container.securityContext ?? {};
      if (own.allowPrivilegeEscalation !== false) found.push(`${at}: allowPrivilegeEscalation is not false`);
      if (own.privileged) found.push(`${at}: privileged`);
      if (!own.capabilities?.drop?.includes('ALL')) found.push(`${at}: capabilities do not drop ALL`);
      for (const added of own.capabilities?.add ?? [])
        if (added !== 'NET_BIND_SERVICE') found.push(`${at}: adds capability ${added}`);
      if (own.readOnlyRootFilesystem !== true) found.push(`${at}: readOnlyRootFilesystem is not true`);

      // Image: a pinned tag or a digest.
      const image: string = container.image;
      const tag = /@sha256:|:([^/:]+)$/.exec(image);
      if (!tag || tag[1] === 'latest') found.push(`${at}: image ${image} is not pinned (no tag, or latest)`);

      // Where it writes: /tmp always; the event-handler's data folder.
      const mounts = new Map<string, string>((container.volumeMounts ?? []).map((m: Doc) => [m.mountPath, m.name]));
      const writable = (path: string) => {
        const volume = volumes.get(mounts.get(path) ?? '');
        return !!volume && (volume.emptyDir !== undefined || volume.persistentVolumeClaim !== undefined);
      };
      if (!writable('/tmp')) found.push(`${at}: no writable volume (emptyDir) mounted at /tmp`);

      // The environment the app sees: the ConfigMaps and Secrets it references, and its own values.
      const env: Record<string, string> = {};
      for (const source of container.envFrom ?? []) {
        if (source.configMapRef) {
          const data = configMaps.get(source.configMapRef.name);
          if (!data && !source.configMapRef.optional)
            found.push(`${at}: envFrom ConfigMap ${source.configMapRef.name} is not defined`);
          Object.assign(env, data);
        }
        if (source.secretRef && !source.secretRef.optional && !secretHas(source.secretRef.name))
          found.push(`${at}: envFrom Secret ${source.secretRef.name} is not defined`);
      }
      for (const variable of container.env ?? []) {
        const fromSecret = variable.valueFrom?.secretKeyRef;
        const fromConfig = variable.valueFrom?.configMapKeyRef;
        if (fromSecret && !fromSecret.optional && !secretHas(fromSecret.name, fromSecret.key))
          found.push(
            `${at}: env ${variable.name} reads Secret ${fromSecret.name} key ${fromSecret.key}, which is not defined`,
          );
        if (fromConfig && !fromConfig.optional && configMaps.get(fromConfig.name)?.[fromConfig.key] === undefined)
          found.push(
            `${at}: env ${variable.name} reads ConfigMap ${fromConfig.name} key ${fromConfig.key}, which is not defined`,
          );
        if (variable.value !== undefined) env[variable.name] = variable.value;
        else if (fromConfig) env[variable.name] = configMaps.get(fromConfig.name)?.[fromConfig.key] ?? '';
      }

      // Ports: what the app listens on with this environment, against the container's ports and probes.
      const loader = CONFIG_LOADERS[container.name];
      if (!loader) {
        found.push(`${at}: no app of that name`);
        continue;
      }
      const app = loader({ RABBITMQ_URL: 'amqp://localhost', ...env }) as {
        ports: Record<string, number>;
        dataDir?: string;
      };
      const declared = new Map<string, number>((container.ports ?? []).map((p: Doc) => [p.name, p.containerPort]));
      for (const [name, port] of Object.entries(app.ports))
        if (declared.get(name) !== port)
          found.push(`${at}: port ${name} is ${declared.get(name)}, the app listens on ${port}`);
      for (const probe of ['livenessProbe', 'readinessProbe', 'startupProbe']) {
        const action = container[probe]?.httpGet ?? container[probe]?.grpc ?? container[probe]?.tcpSocket;
        if (!action) {
          found.push(`${at}: no ${probe}`);
          continue;
        }
        const port = typeof action.port === 'string' ? declared.get(action.port) : action.port;
        if (port === undefined || !Object.values(app.ports).includes(port))
          found.push(`${at}: ${probe} on port ${action.port}, where the app does not listen`);
      }
      if (app.dataDir && !writable(app.dataDir))
        found.push(`${at}: no writable volume at its data folder ${app.dataDir}`);
    }

    // Disruption budget against the fewest replicas there can be (KEDA's minimum when it scales).
    const scaledObject = scaled.get(deployment.metadata.name);
    const fewest: number = scaledObject ? (scaledObject.spec.minReplicaCount ?? 0) : (deployment.spec.replicas ?? 1);
    const budgets = byKind('PodDisruptionBudget').filter((b) =>
      Object.entries(b.spec.selector.matchLabels).every(([k, v]) => deployment.spec.template.metadata.labels[k] === v),
    );
    if (budgets.length !== 1) found.push(`${where}: ${budgets.length} PodDisruptionBudgets select its pods`);
    for (const budget of budgets) {
      const { maxUnavailable, minAvailable } = budget.spec;
      const allowed = maxUnavailable !== undefined ? Number(maxUnavailable) : fewest - Number(minAvailable);
      if (!(allowed >= 1 && allowed < fewest))
        found.push(
          `${where}: with ${fewest} replicas at least, ${nameOf(budget)} allows ${allowed} disruptions (needs 1 to ${fewest - 1})`,
        );
    }
  }

  // KEDA: each ScaledObject targets a Deployment, scales on a RabbitMQ queue with a TriggerAuthentication
  // that takes the broker's URL from a Secret.
  const authentications = new Map(byKind('TriggerAuthentication').map((t) => [t.metadata.name, t]));
  for (const object of byKind('ScaledObject')) {
    const where = nameOf(object);
    if (!byKind('Deployment').some((d) => d.metadata.name === object.spec.scaleTargetRef.name))
      found.push(`${where}: scales ${object.spec.scaleTargetRef.name}, which is not a Deployment here`);
    if (!(object.spec.minReplicaCount >= 2 && object.spec.minReplicaCount <= object.spec.maxReplicaCount))
      found.push(`${where}: minReplicaCount ${object.spec.minReplicaCount} (needs 2 to maxReplicaCount)`);
    for (const trigger of object.spec.triggers) {
      if (trigger.type !== 'rabbitmq') found.push(`${where}: trigger of type ${trigger.type}`);
      if (trigger.metadata.host) found.push(`${where}: broker URL written in the trigger instead of a Secret`);
      if (!(Number(trigger.metadata.value) > 0) || trigger.metadata.mode !== 'QueueLength')
        found.push(`${where}: not a QueueLength trigger with a positive value`);
      const authentication = authentications.get(trigger.authenticationRef?.name);
      if (!authentication) {
        found.push(`${where}: TriggerAuthentication ${trigger.authenticationRef?.name} is not defined`);
        continue;
      }
      for (const ref of authentication.spec.secretTargetRef ?? [])
        if (!secretHas(ref.name, ref.key))
          found.push(`${nameOf(authentication)}: Secret ${ref.name} key ${ref.key} is not defined`);
      if (!(authentication.spec.secretTargetRef ?? []).some((ref: Doc) => ref.parameter === 'host'))
        found.push(`${nameOf(authentication)}: no host from a Secret`);
    }
  }
  return found;
}

const queueOf = (docs: Doc[], app: string) =>
  docs.find((d) => d.kind === 'ScaledObject' && d.spec.scaleTargetRef.name === app)?.spec.triggers[0].metadata
    .queueName;

describe('Kubernetes overlays against the kubelet and the restricted Pod Security profile', () => {
  const rendered = Object.fromEntries(OVERLAYS.map((overlay) => [overlay, render(overlay)]));

  it('should run the image as a numeric user (the kubelet cannot check a name against runAsNonRoot)', () => {
    const users = readFileSync(join(ROOT, 'Dockerfile'), 'utf8').match(/^USER .*$/gm);
    expect(users).toEqual(['USER 1000:1000']);
  });

  it.each(OVERLAYS)('should find nothing the cluster would refuse in overlays/%s', (overlay) => {
    expect(violations(rendered[overlay])).toEqual([]);
    expect(
      rendered[overlay]
        .filter((d) => d.kind === 'Deployment')
        .map((d) => d.metadata.name)
        .sort(),
    ).toEqual(['consumer', 'event-handler', 'greeter', 'producer']);
  });

  it('should scale the consumer on the hello queue and the event-handler on its own queue with KEDA', () => {
    const docs = rendered['example-keda'];
    expect(queueOf(docs, 'consumer')).toBe(Topology.helloQueue);
    expect(queueOf(docs, 'event-handler')).toBe(Topology.eventHandlerQueue);
    expect(rendered['example'].some((d) => d.kind === 'ScaledObject')).toBe(false);
  });

  it('should report each broken setting of a Deployment (the check is real)', () => {
    const docs = structuredClone(rendered['example-keda']);
    const deployment = docs.find((d) => d.kind === 'Deployment' && d.metadata.name === 'event-handler') as Doc;
    const pod = deployment.spec.template.spec;
    const container = pod.containers[0];
    delete pod.securityContext.runAsUser;
    delete pod.securityContext.seccompProfile;
    container.securityContext = {
      runAsNonRoot: true,
      allowPrivilegeEscalation: true,
      capabilities: { add: ['NET_ADMIN'] },
    };
    container.image = 'hello-mesh/event-handler:latest';
    container.readinessProbe.httpGet.port = 9999;
    container.volumeMounts = container.volumeMounts.filter((m: Doc) => m.mountPath !== '/data');
    container.env.push({ name: 'X', valueFrom: { secretKeyRef: { name: 'hello-mesh-secrets', key: 'MISSING' } } });
    container.ports[0].containerPort = 8080;
    const scaledObject = docs.find((d) => d.kind === 'ScaledObject' && d.metadata.name === 'event-handler') as Doc;
    scaledObject.spec.minReplicaCount = 1;
    const namespace = docs.find((d) => d.kind === 'Namespace') as Doc;
    namespace.metadata.labels = { 'pod-security.kubernetes.io/enforce': 'baseline' };

    const at = 'Deployment/event-handler container event-handler';
    expect(violations(docs)).toEqual(
      expect.arrayContaining([
        'Namespace/hello-mesh: not labelled pod-security.kubernetes.io/enforce=restricted',
        `${at}: runAsUser is not a non-zero number`,
        `${at}: seccompProfile is not RuntimeDefault`,
        `${at}: allowPrivilegeEscalation is not false`,
        `${at}: capabilities do not drop ALL`,
        `${at}: adds capability NET_ADMIN`,
        `${at}: readOnlyRootFilesystem is not true`,
        `${at}: image hello-mesh/event-handler:latest is not pinned (no tag, or latest)`,
        `${at}: readinessProbe on port 9999, where the app does not listen`,
        `${at}: port http is 8080, the app listens on 3003`,
        `${at}: no writable volume at its data folder /data`,
        `${at}: env X reads Secret hello-mesh-secrets key MISSING, which is not defined`,
        'Deployment/event-handler: with 1 replicas at least, PodDisruptionBudget/event-handler allows 1 disruptions (needs 1 to 0)',
        'ScaledObject/event-handler: minReplicaCount 1 (needs 2 to maxReplicaCount)',
      ]),
    );
  });
});
