/**
 * What `npm run test:affected` checks: the files changed since a base (default: the merge base with
 * `main`, working-tree changes included) and the Nx projects they touch, with every project that
 * depends on one of them (Nx's project graph). A changed file that belongs to no project and is not
 * Markdown (package.json, the lockfile, proto/, tools/scripts, a root config…) can change anything, so
 * it selects the whole suite.
 */
'use strict';

const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

/** @type {(root: string, args: string[]) => string} */
const git = (root, args) =>
  execFileSync('git', args, { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();

/**
 * @param {string} root
 * @returns {string}
 */
function defaultBase(root) {
  for (const ref of ['origin/main', 'main']) {
    try {
      return git(root, ['merge-base', 'HEAD', ref]);
    } catch {
      // No such ref here; try the next.
    }
  }
  throw new Error('no main branch to compare with: pass --base <ref>');
}

/**
 * @param {string} root
 * @param {string} base
 * @returns {string[]}
 */
function changedFiles(root, base) {
  const tracked = git(root, ['diff', '--name-only', base]).split('\n');
  const untracked = git(root, ['ls-files', '--others', '--exclude-standard']).split('\n');
  return [...new Set([...tracked, ...untracked])].filter(Boolean).filter((f) => fs.existsSync(path.join(root, f)));
}

/**
 * @param {string} root
 * @param {string[]} args
 * @returns {string}
 */
function nx(root, args) {
  const manifest = require.resolve('nx/package.json', { paths: [root] });
  const nxBin = path.join(path.dirname(manifest), require(manifest).bin.nx);
  return execFileSync(process.execPath, [nxBin, ...args], {
    cwd: root,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, NX_DAEMON: 'false', NX_NO_CLOUD: 'true' },
  });
}

/**
 * `{ name: root }` of every Nx project.
 * @param {string} root
 * @returns {Record<string, string>}
 */
function projectRoots(root) {
  const file = path.join(root, '.local', 'project-graph.json');
  fs.mkdirSync(path.dirname(file), { recursive: true });
  nx(root, ['graph', `--file=${file}`]);
  /** @type {{ graph: { nodes: Record<string, { name: string, data: { root: string } }> } }} */
  const { graph } = JSON.parse(fs.readFileSync(file, 'utf8'));
  return Object.fromEntries(Object.values(graph.nodes).map((n) => [n.name, n.data.root]));
}

/**
 * The scope of an affected run: `files` to format-check, `lintPaths`, `typecheck`, `jestProjects`;
 * a field left undefined means "everything". `description` says what was chosen and why.
 * @typedef {{ description?: string, files?: string[], lintPaths?: string[], typecheck?: boolean, jestProjects?: string[] }} Scope
 * @param {string} root
 * @param {string} [base]
 * @returns {Scope}
 */
function affectedScope(root, base = defaultBase(root)) {
  const files = changedFiles(root, base);
  const roots = projectRoots(root);
  /** @type {(file: string) => string | undefined} */
  const owner = (file) =>
    Object.entries(roots).find(([, r]) => r !== '.' && (file === r || file.startsWith(`${r}/`)))?.[0];
  const outside = files.filter((f) => !owner(f) && !f.endsWith('.md'));
  const head = `changed since ${base.slice(0, 12)}: ${files.length} file(s)`;
  if (outside.length > 0) {
    return {
      description: `${head}; outside any project: ${outside.slice(0, 5).join(', ')}${outside.length > 5 ? ', …' : ''} → the whole suite`,
    };
  }
  /** @type {string[]} */
  const affected = JSON.parse(nx(root, ['show', 'projects', '--affected', `--base=${base}`, '--json']));
  return {
    description: `${head}; affected projects: ${affected.join(', ') || 'none'}`,
    files,
    lintPaths: affected.map((name) => roots[name]),
    typecheck: affected.length > 0,
    jestProjects: affected,
  };
}

module.exports = { affectedScope };
