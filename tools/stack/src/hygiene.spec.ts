import { existsSync, readFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';

// What a newcomer meets first besides the code: the LICENSE that package.json names, a .env.example
// with every variable compose reads, and editor launch configurations that start the real build.

const ROOT = resolve(__dirname, '..', '..', '..');
const read = (file: string) => readFileSync(join(ROOT, file), 'utf8');
const { APPS } = require(join(ROOT, 'tools', 'stack', 'apps.cjs')) as { APPS: { name: string }[] };

// Each app's own webpack.config.js, read for its output folder; Nx's plugin (which needs a workspace
// context to construct) stands aside.
jest.mock('@nx/webpack/app-plugin', () => ({ NxAppWebpackPlugin: class {} }));
const outputOf = (app: string) =>
  (require(join(ROOT, 'apps', app, 'webpack.config.js')) as { output: { path: string } }).output.path;

/** The variables docker-compose.yml reads, with their defaults (`${NAME:-default}`). */
function composeVariables(compose: string): Map<string, string | undefined> {
  return new Map([...compose.matchAll(/\$\{([A-Z0-9_]+)(?::?-([^}]*))?\}/g)].map((m) => [m[1], m[2]]));
}

/** What is wrong with .env.example against the variables compose reads. */
function envExampleProblems(example: string, compose: string): string[] {
  const problems: string[] = [];
  const given = new Map(
    [...example.matchAll(/^([A-Z0-9_]+)=(.*)$/gm)].map((m) => [m[1], m[2].trim()] as [string, string]),
  );
  for (const [name, fallback] of composeVariables(compose)) {
    if (!given.has(name)) problems.push(`${name} is read by docker-compose.yml but missing from .env.example`);
    else if (fallback !== undefined && given.get(name) !== fallback)
      problems.push(`${name}=${given.get(name)} in .env.example, ${fallback} by default in docker-compose.yml`);
  }
  for (const name of given.keys())
    if (!composeVariables(compose).has(name))
      problems.push(`${name} in .env.example is not read by docker-compose.yml`);
  return problems;
}

interface LaunchConfig {
  name: string;
  program?: string;
  preLaunchTask?: string;
  outFiles?: string[];
}
interface Task {
  label: string;
  command: string;
}

/** What is wrong with the launch configurations: each app's must build it and run its bundle. */
function launchProblems(configs: LaunchConfig[], tasks: Task[]): string[] {
  const problems: string[] = [];
  for (const { name: app } of APPS) {
    const bundle = join(relative(ROOT, outputOf(app)), 'main.js');
    const config = configs.find((c) => c.program === `\${workspaceFolder}/${bundle}`);
    if (!config) {
      problems.push(`${app}: no launch configuration runs ${bundle}`);
      continue;
    }
    const task = tasks.find((t) => t.label === config.preLaunchTask);
    if (!task || !new RegExp(`\\bnx build ${app}$`).test(task.command))
      problems.push(`${app}: "${config.name}" does not build ${app} before it starts (preLaunchTask)`);
    if (!config.outFiles?.some((glob) => glob.startsWith(`\${workspaceFolder}/${bundle.replace(/main\.js$/, '')}`)))
      problems.push(`${app}: "${config.name}" looks for its source maps outside ${bundle.replace(/main\.js$/, '')}`);
  }
  return problems;
}

describe('repository hygiene', () => {
  it('should carry the license package.json names', () => {
    const { license } = JSON.parse(read('package.json')) as { license: string };
    expect(license).toBe('MIT');
    const text = read('LICENSE');
    expect(text.split('\n')[0]).toBe('MIT License');
    expect(text).toMatch(/^Copyright \(c\) \d{4} /m);
    expect(text).toContain('THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND');
  });

  it('should list every variable docker-compose.yml reads in .env.example, with the default value', () => {
    expect(envExampleProblems(read('.env.example'), read('docker-compose.yml'))).toEqual([]);
    expect(composeVariables(read('docker-compose.yml')).size).toBeGreaterThan(10);
  });

  it('should launch each app from its webpack bundle, built first', () => {
    const { configurations } = JSON.parse(read('.vscode/launch.json')) as { configurations: LaunchConfig[] };
    const { tasks } = JSON.parse(read('.vscode/tasks.json')) as { tasks: Task[] };
    expect(launchProblems(configurations, tasks)).toEqual([]);
    for (const { name } of APPS) expect(existsSync(join(ROOT, 'apps', name, 'src', 'main.ts'))).toBe(true);
  });

  it('should have a CONTRIBUTING guide pointing at the conventions', () => {
    const text = read('CONTRIBUTING.md');
    expect(text).toContain('(docs/architecture.md)');
    expect(text).toMatch(/npx nx test \w+/);
  });

  it('should report a stale .env.example and a launch configuration of the wrong folder (the checks are real)', () => {
    const compose = 'x:\n  a: ${ONE:-1}\n  b: ${TWO:-two}\n';
    expect(envExampleProblems('ONE=1\nTWO=2\nTHREE=3\n', compose)).toEqual([
      'TWO=2 in .env.example, two by default in docker-compose.yml',
      'THREE in .env.example is not read by docker-compose.yml',
    ]);
    expect(envExampleProblems('ONE=1\n', compose)).toEqual([
      'TWO is read by docker-compose.yml but missing from .env.example',
    ]);
    const stale = APPS.map(({ name }) => ({
      name: `Debug ${name}`,
      program: `\${workspaceFolder}/apps/${name}/dist/main.js`,
      outFiles: [`\${workspaceFolder}/apps/${name}/dist/**/*.js`],
    }));
    expect(launchProblems(stale, [])).toContain('greeter: no launch configuration runs dist/apps/greeter/main.js');
  });
});
