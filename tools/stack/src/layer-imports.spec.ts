import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

// Apps and libraries are what ships; tools/ is the repository's own machinery (launchers, the bench,
// build configuration). Code under apps/ and libs/ loads none of it by path: what it needs of tools/
// comes through a package of the npm workspace (`@hello/build`: the webpack configuration, SWC's
// options, the TypeScript require hook; `@hello/infra`: the RabbitMQ, PostgreSQL and port helpers).

const ROOT = resolve(__dirname, '..', '..', '..');

/**
 * The files of tools/ that `source` requires or imports by path: a relative specifier that leads into
 * tools/, or a path built with a 'tools' segment (`join(ROOT, 'tools', …)`) inside require().
 */
function toolLoads(file: string, source: string): string[] {
  const loads: string[] = [];
  const dir = join(ROOT, file, '..');
  for (const m of source.matchAll(/(?:from\s+|import\s*\(|require\(\s*)(['"`])(\.[^'"`]*)\1/g)) {
    const target = resolve(dir, m[2]);
    if (target.startsWith(join(ROOT, 'tools') + '/')) loads.push(target.slice(ROOT.length + 1));
  }
  for (const m of source.matchAll(/require\(\s*(?:path\.)?join\(([^)]*)\)\s*\)/g)) {
    const segments = [...m[1].matchAll(/'([^']*)'/g)].map((s) => s[1]);
    const at = segments.indexOf('tools');
    if (at >= 0) loads.push(segments.slice(at).join('/'));
  }
  return loads;
}

function sourceFiles(): string[] {
  return execFileSync('git', ['ls-files', 'apps', 'libs'], { cwd: ROOT, encoding: 'utf8' })
    .split('\n')
    .filter((f) => /\.(?:ts|mts|cts|js|cjs|mjs)$/.test(f));
}

describe('apps and libraries against tools/', () => {
  it('should load no file of tools/ by path', () => {
    const found = sourceFiles().flatMap((file) =>
      toolLoads(file, readFileSync(join(ROOT, file), 'utf8')).map((target) => `${file} -> ${target}`),
    );
    expect(found).toEqual([]);
  });

  it('should reach the tools it needs through the workspace packages', () => {
    const packages = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).workspaces as string[];
    expect(packages).toEqual(['tools/build', 'tools/infra']);
    for (const dir of packages) {
      const { name, exports } = JSON.parse(readFileSync(join(ROOT, dir, 'package.json'), 'utf8')) as {
        name: string;
        exports: Record<string, string>;
      };
      for (const [entry, file] of Object.entries(exports)) {
        // Installed as a link into node_modules, each entry resolves to the file under tools/.
        expect(require.resolve(`${name}${entry.slice(1)}`)).toBe(join(ROOT, dir, file));
      }
    }
    const webpack = readFileSync(join(ROOT, 'apps', 'greeter', 'webpack.config.js'), 'utf8');
    expect(webpack).toContain("require('@hello/build/webpack')");
  });

  it('should see a load by a relative path and by a joined path (the check is real)', () => {
    expect(toolLoads('libs/x/src/a.ts', "import { y } from '../../../tools/rabbitmq/broker.cjs';")).toEqual([
      'tools/rabbitmq/broker.cjs',
    ]);
    expect(
      toolLoads('apps/x/b.js', "require(join(__dirname, '..', '..', 'tools', 'webpack', 'app-config.cjs'))"),
    ).toEqual(['tools/webpack/app-config.cjs']);
    expect(toolLoads('libs/x/src/c.ts', "import { z } from '@hello/contracts';\nrequire('./local');")).toEqual([]);
  });
});
