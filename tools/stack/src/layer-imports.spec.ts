import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

// Apps and libraries are what ships; tools/ is the repository's own machinery (launchers, the bench,
// build configuration). Code under apps/ and libs/ must not load a file of tools/ by its path. The
// loads that remain are listed below, each one to be taken out (by making the tool a package of its
// own), never added to.

const ROOT = resolve(__dirname, '..', '..', '..');

const REMAINING = new Set([
  // Each app's webpack configuration loads the shared one.
  'apps/consumer/webpack.config.js -> tools/webpack/app-config.cjs',
  'apps/event-handler/webpack.config.js -> tools/webpack/app-config.cjs',
  'apps/greeter/webpack.config.js -> tools/webpack/app-config.cjs',
  'apps/producer/webpack.config.js -> tools/webpack/app-config.cjs',
  // The test library starts brokers with the local launcher, shares its free-port helper and
  // compiles TypeScript as Jest does.
  'libs/testing/src/lib/broker.ts -> tools/rabbitmq/broker.cjs',
  'libs/testing/src/lib/net.ts -> tools/scripts/host.cjs',
  'libs/testing/src/lib/ts-register.cjs -> tools/jest/swc-options.cjs',
]);

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
  it('should load no file of tools/ by path, but for the loads still listed', () => {
    const found = sourceFiles().flatMap((file) =>
      toolLoads(file, readFileSync(join(ROOT, file), 'utf8')).map((target) => `${file} -> ${target}`),
    );
    expect(found.filter((load) => !REMAINING.has(load))).toEqual([]);
    // A load taken out is taken off the list too.
    expect([...REMAINING].filter((load) => !found.includes(load))).toEqual([]);
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
