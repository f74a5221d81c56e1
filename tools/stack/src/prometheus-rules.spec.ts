import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parse } from 'yaml';
import { ensurePromtool } from '@hello/infra/promtool';

// The alert rules in deploy/prometheus/alerts.yml: valid for Prometheus (`promtool check rules`),
// loaded by prometheus.yml, and behaving as their unit tests say (`promtool test rules`), with a case
// where each alert fires and one where it stays quiet.

const ROOT = resolve(__dirname, '..', '..', '..');
const DIR = join(ROOT, 'deploy', 'prometheus');

interface Rule {
  alert?: string;
  record?: string;
  expr: string;
}
interface RuleFile {
  groups: { name: string; rules: Rule[] }[];
}
interface RuleTests {
  rule_files: string[];
  tests: { name: string; alert_rule_test?: { alertname: string; exp_alerts: unknown[] }[] }[];
}

function promtool(...args: string[]): { status: number | null; output: string } {
  const result = spawnSync(ensurePromtool(), args, { cwd: DIR, encoding: 'utf8' });
  return { status: result.status, output: `${result.stdout}${result.stderr}`.trim() };
}

const rules = parse(readFileSync(join(DIR, 'alerts.yml'), 'utf8')) as RuleFile;
const tests = parse(readFileSync(join(DIR, 'alerts.test.yml'), 'utf8')) as RuleTests;
const alerts = rules.groups.flatMap((group) => group.rules.filter((rule) => rule.alert).map((rule) => rule.alert));

describe('Prometheus alert rules (deploy/prometheus/alerts.yml)', () => {
  it('should be valid rules', () => {
    const result = promtool('check', 'rules', 'alerts.yml');
    expect(result).toMatchObject({ status: 0 });
    expect(result.output).toMatch(/SUCCESS: \d+ rules found/);
  });

  it('should be loaded by prometheus.yml', () => {
    const config = parse(readFileSync(join(DIR, 'prometheus.yml'), 'utf8')) as { rule_files?: string[] };
    expect(config.rule_files).toEqual(['alerts.yml']);
    expect(promtool('check', 'config', 'prometheus.yml')).toMatchObject({ status: 0 });
  });

  it('should pass its unit tests', () => {
    const result = promtool('test', 'rules', 'alerts.test.yml');
    expect(result).toEqual({ status: 0, output: expect.stringContaining('SUCCESS') });
  });

  it.each(alerts)('should have a unit test where %s fires and one where it does not', (alert) => {
    const cases = tests.tests.flatMap((test) => test.alert_rule_test ?? []).filter((c) => c.alertname === alert);
    expect(cases.some((c) => c.exp_alerts.length > 0)).toBe(true);
    expect(cases.some((c) => c.exp_alerts.length === 0)).toBe(true);
  });

  it('should fail the unit tests when a rule changes (the tests are real)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'alerts-'));
    try {
      copyFileSync(join(DIR, 'alerts.test.yml'), join(dir, 'alerts.test.yml'));
      const text = readFileSync(join(DIR, 'alerts.yml'), 'utf8');
      const mutated = text.replace(
        'greeter_events_pending / greeter_events_high_water >= 0.8',
        'greeter_events_pending / greeter_events_high_water >= 0.9',
      );
      expect(mutated).not.toBe(text);
      writeFileSync(join(dir, 'alerts.yml'), mutated);
      const spawned = spawnSync(ensurePromtool(), ['test', 'rules', 'alerts.test.yml'], { cwd: dir, encoding: 'utf8' });
      expect(spawned.status).not.toBe(0);
      expect(`${spawned.stdout}${spawned.stderr}`).toMatch(/GreeterEventBufferNearHighWater/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
