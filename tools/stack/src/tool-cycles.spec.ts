import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join, normalize, resolve } from 'node:path';

// The tools' CommonJS modules form no cycle: a module that requires another, directly or through
// others, is never required back by it (the broker and the cluster once were). A cycle makes what a
// module exports depend on which of the two was loaded first.

const ROOT = resolve(__dirname, '..', '..', '..');

/** The tools' CommonJS files in git, relative to the root. */
function toolScripts(): string[] {
  return execFileSync('git', ['ls-files', '--', ':(glob)tools/**/*.cjs'], { cwd: ROOT, encoding: 'utf8' })
    .split('\n')
    .filter(Boolean);
}

/** The other tools' .cjs files `file` requires by a relative path (at its top or inside a function). */
function requiresOf(file: string, source: string): string[] {
  const required = [...source.matchAll(/require\(\s*'(\.{1,2}\/[^']+\.cjs)'\s*\)/g)].map(([, target]) =>
    normalize(join(dirname(file), target)),
  );
  return [...new Set(required)];
}

/** Each cycle of `graph` as the files along it, first file repeated at the end; empty when there is none. */
function cyclesOf(graph: Map<string, string[]>): string[][] {
  const cycles: string[][] = [];
  const state = new Map<string, 'visiting' | 'done'>();
  const path: string[] = [];
  const visit = (file: string) => {
    state.set(file, 'visiting');
    path.push(file);
    for (const next of graph.get(file) ?? []) {
      if (state.get(next) === 'visiting') cycles.push([...path.slice(path.indexOf(next)), next]);
      else if (!state.has(next)) visit(next);
    }
    path.pop();
    state.set(file, 'done');
  };
  for (const file of [...graph.keys()].sort()) if (!state.has(file)) visit(file);
  return cycles;
}

function toolGraph(read: (file: string) => string): Map<string, string[]> {
  return new Map(toolScripts().map((file) => [file, requiresOf(file, read(file))]));
}

const readScript = (file: string) => readFileSync(join(ROOT, file), 'utf8');

describe('the tools’ modules', () => {
  it('should require one another without a cycle', () => {
    const graph = toolGraph(readScript);
    expect(graph.get('tools/infra/rabbitmq/main.cjs')).toEqual(
      expect.arrayContaining(['tools/infra/rabbitmq/broker.cjs', 'tools/infra/rabbitmq/cluster.cjs']),
    );
    expect(cyclesOf(graph)).toEqual([]);
  });

  it('should name the files of a cycle (the check is real)', () => {
    const withCycle = (file: string) =>
      file === 'tools/infra/rabbitmq/broker.cjs'
        ? `${readScript(file)}\nconst later = () => require('./cluster.cjs');\n`
        : readScript(file);
    expect(cyclesOf(toolGraph(withCycle))).toEqual([
      ['tools/infra/rabbitmq/broker.cjs', 'tools/infra/rabbitmq/cluster.cjs', 'tools/infra/rabbitmq/broker.cjs'],
    ]);
  });
});
