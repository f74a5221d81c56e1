import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { freePort, waitFor } from '@hello/testing';
import { ensurePrometheus } from '@hello/infra/promtool';

export interface QueryResult {
  status: 'success' | 'error';
  error?: string;
  data?: { resultType: string; result: unknown[] };
}

export interface RuleState {
  name: string;
  type: 'alerting' | 'recording';
  health: 'ok' | 'err' | 'unknown';
  lastError?: string;
}

/**
 * Debian's Prometheus server, scraping the given targets every second and evaluating the given rule
 * files every second, with its data and log in a temporary folder (removed by stop()).
 */
export class PrometheusServer {
  private constructor(
    readonly url: string,
    private readonly process: ChildProcess,
    private readonly dir: string,
  ) {}

  static async start(options: { jobs: Record<string, string[]>; ruleFiles: string[] }): Promise<PrometheusServer> {
    const binary = ensurePrometheus();
    const dir = mkdtempSync(join(tmpdir(), 'prometheus-'));
    const config = {
      global: { scrape_interval: '1s', scrape_timeout: '1s', evaluation_interval: '1s' },
      rule_files: options.ruleFiles,
      scrape_configs: Object.entries(options.jobs).map(([job, targets]) => ({
        job_name: job,
        static_configs: [{ targets }],
      })),
    };
    writeFileSync(join(dir, 'prometheus.yml'), stringify(config));
    const port = await freePort();
    const log = openSync(join(dir, 'prometheus.log'), 'a');
    const child = spawn(
      binary,
      [
        `--config.file=${join(dir, 'prometheus.yml')}`,
        `--storage.tsdb.path=${join(dir, 'data')}`,
        `--web.listen-address=127.0.0.1:${port}`,
        '--log.level=warn',
      ],
      { stdio: ['ignore', log, log] },
    );
    const server = new PrometheusServer(`http://127.0.0.1:${port}`, child, dir);
    await waitFor(
      async () => {
        if (child.exitCode !== null) throw new Error(`prometheus exited (${child.exitCode}):\n${server.log()}`);
        return (
          (await fetch(`${server.url}/-/ready`).then(
            (r) => r.status,
            () => 0,
          )) === 200
        );
      },
      { timeoutMs: 30_000, intervalMs: 200, message: 'Prometheus ready' },
    );
    return server;
  }

  /** Evaluates `expr` now (instant query). */
  async query(expr: string): Promise<QueryResult> {
    const response = await fetch(`${this.url}/api/v1/query`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ query: expr }),
    });
    return (await response.json()) as QueryResult;
  }

  /** Every loaded rule with its health after the last evaluation. */
  async rules(): Promise<RuleState[]> {
    const body = (await (await fetch(`${this.url}/api/v1/rules`)).json()) as {
      data: { groups: { rules: RuleState[] }[] };
    };
    return body.data.groups.flatMap((group) => group.rules);
  }

  log(): string {
    try {
      return readFileSync(join(this.dir, 'prometheus.log'), 'utf8').slice(-4_000);
    } catch {
      return '';
    }
  }

  async stop(): Promise<void> {
    if (this.process.exitCode === null) {
      const exited = new Promise((done) => this.process.once('exit', done));
      this.process.kill('SIGTERM');
      await exited;
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}
