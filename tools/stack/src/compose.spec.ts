import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parse } from 'yaml';
import { spawnSync } from 'node:child_process';
import { outputPath } from '@hello/build/webpack';
import { ensurePromtool } from '@hello/infra/promtool';

// No Docker engine runs where this suite runs, so the compose file and Dockerfile are checked
// against what the apps really read and serve instead of being run.

const ROOT = resolve(__dirname, '..', '..', '..');
const { APPS, APP_NODE_FLAGS } = require('../apps.cjs') as {
  APPS: {
    name: string;
    ports: Record<string, { env: string; default: string | number }>;
    health: { kind: 'grpc' | 'http'; path?: string };
  }[];
  APP_NODE_FLAGS: string[];
};

interface Service {
  image?: string;
  build?: { context: string; dockerfile?: string; args?: Record<string, string> };
  environment?: Record<string, string>;
  ports?: string[];
  healthcheck?: { test: string[] };
  depends_on?: Record<string, { condition: string }>;
  restart?: string;
  volumes?: string[];
  profiles?: string[];
  container_name?: string;
}

// The services run with several replicas (`--scale consumer=3 --scale event-handler=2`).
const SCALED = new Set(['consumer', 'event-handler']);
// Read by the event-handler's PostgreSQL store (its projections on PostgreSQL); until that store is
// in, compose already sets the variable for it.
// The standard OTEL_* variables are read by the OpenTelemetry SDK itself (see libs/platform/src/telemetry.ts).
const READ_BY_THE_OTEL_SDK = /^OTEL_/;

const composeText = readFileSync(join(ROOT, 'docker-compose.yml'), 'utf8');
const compose = parse(composeText, { merge: true }) as { services: Record<string, Service> };
const dockerfile = readFileSync(join(ROOT, 'Dockerfile'), 'utf8');

function sourceFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).flatMap((entry) => {
    const full = join(dir, entry);
    if (statSync(full).isDirectory()) return sourceFiles(full);
    return full.endsWith('.ts') && !full.endsWith('.spec.ts') && !full.includes('/test/') ? [full] : [];
  });
}

const byNumber = (a: number, b: number) => a - b;

/** Every environment variable name an app's code (and the libs it imports) reads. */
function variablesReadBy(app: string): Set<string> {
  const appFiles = sourceFiles(join(ROOT, 'apps', app, 'src'));
  const libs = new Set<string>();
  for (const file of appFiles) {
    for (const m of readFileSync(file, 'utf8').matchAll(/from '@hello\/([a-z-]+)'/g)) libs.add(m[1]);
  }
  const files = [...appFiles, ...[...libs].flatMap((lib) => sourceFiles(join(ROOT, 'libs', lib, 'src')))];
  const names = new Set<string>();
  for (const file of files) {
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(/['"`]([A-Z][A-Z0-9_]{2,})['"`]/g)) names.add(m[1]);
    // Keys of the zod schemas that declare each app's variables.
    for (const m of text.matchAll(/^\s+([A-Z][A-Z0-9_]{2,}):/gm)) names.add(m[1]);
  }
  return names;
}

function hostPorts(service: Service): number[] {
  return (service.ports ?? []).map((p) => Number(String(p).split(':')[0]));
}

function containerPorts(service: Service): number[] {
  return (service.ports ?? []).map((p) => Number(String(p).split(':').pop()));
}

describe('docker-compose.yml', () => {
  it('should have a service for every app and the broker', () => {
    expect(Object.keys(compose.services).sort()).toEqual(
      ['grafana', 'jaeger', 'postgres', 'prometheus', 'rabbitmq', ...APPS.map((a) => a.name)].sort(),
    );
  });

  it('should provision Grafana with the Prometheus data source and the dashboard in the observability profile', () => {
    const grafana = compose.services['grafana'];
    expect(grafana.profiles).toEqual(['observability']);
    expect(grafana.image).toMatch(/^grafana\/grafana:\d+\.\d+\.\d+$/);
    expect(grafana.volumes).toEqual([
      './deploy/grafana/provisioning:/etc/grafana/provisioning:ro',
      './deploy/grafana/dashboards:/var/lib/grafana/dashboards:ro',
    ]);
    const datasources = parse(
      readFileSync(join(ROOT, 'deploy/grafana/provisioning/datasources/prometheus.yml'), 'utf8'),
    ) as { datasources: { uid: string; type: string; url: string }[] };
    expect(datasources.datasources).toEqual([
      expect.objectContaining({ uid: 'prometheus', type: 'prometheus', url: 'http://prometheus:9090' }),
    ]);
    const dashboard = JSON.parse(readFileSync(join(ROOT, 'deploy/grafana/dashboards/hello-mesh.json'), 'utf8'));
    const uids = new Set(
      dashboard.panels.flatMap((panel: { targets?: { datasource: { uid: string } }[] }) =>
        (panel.targets ?? []).map((target) => target.datasource.uid),
      ),
    );
    expect([...uids]).toEqual(['prometheus']);
    expect(compose.services['prometheus'].volumes).toContain(
      './deploy/prometheus/alerts.yml:/etc/prometheus/alerts.yml:ro',
    );
  });

  it('should pin RabbitMQ to a 4.x image with the management plugin and check it with rabbitmq-diagnostics', () => {
    const broker = compose.services['rabbitmq'];
    expect(broker.image).toMatch(/^rabbitmq:4\.\d+(\.\d+)?-management(-alpine)?$/);
    expect(broker.healthcheck?.test.join(' ')).toMatch(/rabbitmq-diagnostics/);
    expect(containerPorts(broker).sort(byNumber)).toEqual([5672, 15672]);
  });

  it('should start without a .env: development credentials by default, overridable from the environment', () => {
    const broker = compose.services['rabbitmq'];
    expect(existsSync(join(ROOT, '.env'))).toBe(false);
    expect(composeText).not.toMatch(/:\?/);
    expect(broker.environment?.['RABBITMQ_DEFAULT_USER']).toMatch(/^\$\{RABBITMQ_USER:-[^}]+\}$/);
    expect(broker.environment?.['RABBITMQ_DEFAULT_PASS']).toMatch(/^\$\{RABBITMQ_PASSWORD:-[^}]+\}$/);
    const example = readFileSync(join(ROOT, '.env.example'), 'utf8');
    for (const name of ['RABBITMQ_USER', 'RABBITMQ_PASSWORD', 'RABBITMQ_HOST_PORT', 'RABBITMQ_MANAGEMENT_HOST_PORT']) {
      expect(example).toMatch(new RegExp(`^${name}=`, 'm'));
      expect(composeText).toContain(`\${${name}:-`);
    }
    expect(composeText).not.toMatch(/guest/);
  });

  it('should run PostgreSQL for the event-handler replicas, health-checked, on a volume', () => {
    const postgres = compose.services['postgres'];
    expect(postgres.image).toMatch(/^postgres:\d+(\.\d+)?(-alpine)?$/);
    expect(postgres.healthcheck?.test.slice(0, 2)).toEqual(['CMD', 'pg_isready']);
    expect(postgres.volumes?.some((v) => v.endsWith(':/var/lib/postgresql/data'))).toBe(true);
    expect(postgres.ports ?? []).toEqual([]);
    const eventHandler = compose.services['event-handler'];
    expect(eventHandler.depends_on?.['postgres']?.condition).toBe('service_healthy');
    expect(eventHandler.environment?.['EVENT_HANDLER_DATABASE_URL']).toMatch(/^postgres:\/\/[^@]+@postgres:5432\/\S+$/);
  });

  it('should bind the broker and management ports to 127.0.0.1 by default, on host ports that move by variable', () => {
    const ports = compose.services['rabbitmq'].ports ?? [];
    expect(ports).toEqual([
      '${RABBITMQ_BIND_ADDRESS:-127.0.0.1}:${RABBITMQ_HOST_PORT:-5672}:5672',
      '${RABBITMQ_BIND_ADDRESS:-127.0.0.1}:${RABBITMQ_MANAGEMENT_HOST_PORT:-15672}:15672',
    ]);
  });

  it('should keep credentials out of the URL: each app gets them apart and URL-encodes them', () => {
    const broker = compose.services['rabbitmq'];
    for (const app of APPS) {
      const env = compose.services[app.name].environment ?? {};
      expect(env['RABBITMQ_URL']).toBe('amqp://rabbitmq:5672');
      expect(env['RABBITMQ_USER']).toBe(broker.environment?.['RABBITMQ_DEFAULT_USER']);
      expect(env['RABBITMQ_PASSWORD']).toBe(broker.environment?.['RABBITMQ_DEFAULT_PASS']);
    }
  });

  it('should add Jaeger (OTLP on 4318) and Prometheus under the observability profile, the apps exporting to it', () => {
    const jaeger = compose.services['jaeger'] as Service & { profiles?: string[] };
    const prometheus = compose.services['prometheus'] as Service & { profiles?: string[] };
    expect(jaeger.profiles).toEqual(['observability']);
    expect(prometheus.profiles).toEqual(['observability']);
    expect(containerPorts(jaeger)).toEqual(expect.arrayContaining([4318, 16686]));
    expect(prometheus.volumes).toContain('./deploy/prometheus/prometheus.yml:/etc/prometheus/prometheus.yml:ro');
    for (const app of APPS) {
      expect(compose.services[app.name].environment?.['OTEL_EXPORTER_OTLP_ENDPOINT']).toBe(
        '${OTEL_EXPORTER_OTLP_ENDPOINT:-http://jaeger:4318}',
      );
    }
  });

  it("should scrape every app's /metrics port in prometheus.yml, a config promtool accepts", () => {
    const file = join(ROOT, 'deploy', 'prometheus', 'prometheus.yml');
    const config = parse(readFileSync(file, 'utf8')) as {
      scrape_configs: { job_name: string; dns_sd_configs: { names: string[]; port: number }[] }[];
    };
    const scraped = config.scrape_configs.map((job) => [job.dns_sd_configs[0].names[0], job.dns_sd_configs[0].port]);
    expect(scraped).toEqual(APPS.map((app) => [app.name, Number(String(app.ports['http'].default).split(':').pop())]));
    const check = spawnSync(ensurePromtool(), ['check', 'config', file], { encoding: 'utf8' });
    expect({ status: check.status, output: check.stdout + check.stderr }).toMatchObject({ status: 0 });
  });

  it('should keep .env out of git and out of the build context', () => {
    for (const file of ['.gitignore', '.dockerignore']) {
      expect(readFileSync(join(ROOT, file), 'utf8')).toMatch(/^\.env$/m);
    }
  });

  describe.each(APPS.map((a) => [a.name, a] as const))('service %s', (name, app) => {
    const service = compose.services[name];

    it('should build its own image from the Dockerfile for an Nx project with a build', () => {
      expect(service.build?.context).toBe('.');
      expect(service.build?.args?.['APP']).toBe(name);
      // The webpack plugin infers the `build` target from this file; the shared configuration writes
      // to dist/apps/<the app's folder name>, which is what the Dockerfile copies from.
      const webpack = readFileSync(join(ROOT, 'apps', name, 'webpack.config.js'), 'utf8');
      expect(webpack).toContain('appWebpackConfig(__dirname)');
      expect(outputPath(join(ROOT, 'apps', name))).toBe(join(ROOT, 'dist', 'apps', name));
      expect(existsSync(join(ROOT, 'apps', name, 'src', 'main.ts'))).toBe(true);
    });

    it('should wait for a healthy broker and restart on failure', () => {
      expect(service.depends_on?.['rabbitmq']?.condition).toBe('service_healthy');
      expect(service.restart).toMatch(/^(always|unless-stopped|on-failure)/);
    });

    it('should only set environment variables the app reads', () => {
      const read = variablesReadBy(name);
      for (const variable of Object.keys(service.environment ?? {}))
        if (READ_BY_THE_OTEL_SDK.test(variable)) read.add(variable);
      for (const variable of Object.keys(service.environment ?? {})) {
        expect({ variable, read: read.has(variable) }).toEqual({ variable, read: true });
      }
    });

    it('should publish the ports the app listens on by default', () => {
      const expected = Object.values(app.ports).map((p) => Number(String(p.default).split(':').pop()));
      expect(containerPorts(service).sort(byNumber)).toEqual(expected.sort(byNumber));
      if (SCALED.has(name)) {
        // Replicas cannot share a fixed host port: each gets an ephemeral one; no fixed name either.
        for (const port of service.ports ?? []) expect(String(port)).toMatch(/^\d+$/);
        expect(service.container_name).toBeUndefined();
      } else {
        expect(hostPorts(service).sort(byNumber)).toEqual(expected.sort(byNumber));
      }
      for (const port of Object.values(app.ports)) {
        const value = service.environment?.[port.env];
        if (value !== undefined) expect(String(value)).toBe(String(port.default));
      }
    });

    it('should health-check the endpoint the app serves', () => {
      const test = service.healthcheck?.test ?? [];
      expect(test.slice(0, 3)).toEqual(['CMD', 'node', 'healthcheck.cjs']);
      if (app.health.kind === 'grpc') {
        const port = String(app.ports['grpc'].default).split(':').pop();
        expect(test.slice(3)).toEqual(['grpc', `127.0.0.1:${port}`]);
      } else {
        expect(test[3]).toBe(`http://127.0.0.1:${app.ports['http'].default}${app.health.path}`);
      }
    });
  });
});

describe('Dockerfile', () => {
  it('should install and build with the same commands as the local stack and CI', () => {
    const ensureDeps = readFileSync(join(ROOT, 'tools', 'scripts', 'ensure-deps.cjs'), 'utf8');
    expect(ensureDeps).toContain("'npm install --no-audit --no-fund'");
    expect(dockerfile).toContain('RUN npm install --no-audit --no-fund');
    // The workspace's packages are there before the install links them (the apps' webpack
    // configurations load @hello/build), and so before the rest of the sources is copied.
    const install = dockerfile.indexOf('RUN npm install --no-audit --no-fund');
    const workspaces = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).workspaces as string[];
    for (const dir of workspaces) {
      const copy = dockerfile.indexOf(`COPY ${dir}/package.json ${dir}/`);
      expect({ dir, copiedBeforeInstall: copy >= 0 && copy < install }).toEqual({ dir, copiedBeforeInstall: true });
    }
    expect(dockerfile).toMatch(/npx nx build "\$APP"/);
  });

  it('should run the app as a non-root user with production dependencies only', () => {
    const runtime = dockerfile.slice(dockerfile.indexOf('AS runtime'));
    // Numeric (the image's `node`, 1000): Kubernetes can only check runAsNonRoot against a number.
    expect(runtime).toMatch(/^USER 1000:1000$/m);
    expect(dockerfile).toContain('npm install --omit=dev');
    expect(runtime).not.toMatch(/npm install(?! --omit=dev)/);
  });

  it('should build on Node 24 LTS, run under tini as PID 1 and declare a HEALTHCHECK', () => {
    expect(dockerfile).toMatch(/^ARG NODE_IMAGE=node:24-bookworm-slim$/m);
    const runtime = dockerfile.slice(dockerfile.indexOf('AS runtime'));
    expect(runtime).toMatch(/apt-get install -y --no-install-recommends tini/);
    expect(runtime).toMatch(/^ENTRYPOINT \["\/usr\/bin\/tini", "--"\]$/m);
    expect(runtime).toMatch(/^HEALTHCHECK .*CMD \["node", "healthcheck.cjs"\]$/m);
    expect(dockerfile).toContain("writeFileSync('healthcheck.json'");
  });

  it('should run main.js with the V8 settings every app runs with (as npm start and nx serve do)', () => {
    const runtime = dockerfile.slice(dockerfile.indexOf('AS runtime'));
    const cmd = /^CMD (\[.*\])$/m.exec(runtime);
    expect(APP_NODE_FLAGS.length).toBeGreaterThan(0);
    expect(JSON.parse(cmd?.[1] ?? '[]')).toEqual(['node', ...APP_NODE_FLAGS, '--enable-source-maps', 'main.js']);
    for (const app of APPS) {
      const project = JSON.parse(readFileSync(join(ROOT, 'apps', app.name, 'project.json'), 'utf8')) as {
        targets: { serve: { options: { runtimeArgs?: string[] } } };
      };
      expect({ app: app.name, runtimeArgs: project.targets.serve.options.runtimeArgs }).toEqual({
        app: app.name,
        runtimeArgs: APP_NODE_FLAGS,
      });
    }
  });

  it('should ship the healthcheck script the compose healthchecks call', () => {
    expect(dockerfile).toContain('tools/stack/healthcheck.cjs ./healthcheck.cjs');
    expect(existsSync(join(ROOT, 'tools', 'stack', 'healthcheck.cjs'))).toBe(true);
  });
});
