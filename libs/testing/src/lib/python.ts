import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';

// Debian's python3-* packages go into the system interpreter, which a python3 earlier on PATH (pyenv,
// a virtualenv) does not see.
const SYSTEM_PYTHON = '/usr/bin/python3';

/** A Python module a test needs, and the Debian package that provides it. */
export interface PythonModule {
  readonly module: string;
  readonly debianPackage: string;
}

const PIKA: PythonModule = { module: 'pika', debianPackage: 'python3-pika' };

const canImport = (python: string, modules: readonly PythonModule[]) =>
  spawnSync(python, ['-c', modules.map((m) => `import ${m.module}`).join('; ')], { stdio: 'ignore' }).status === 0;

function pythonWith(modules: readonly PythonModule[]): string | undefined {
  return ['python3', SYSTEM_PYTHON].find(
    (python) => (python === 'python3' || fs.existsSync(python)) && canImport(python, modules),
  );
}

/**
 * Makes sure `python3` can import pika (RabbitMQ's Python client, for the tutorial clients): installs
 * Debian's python3-pika with apt-get when it is missing and this process is root, as
 * the RabbitMQ launcher of `@hello/infra` installs rabbitmq-server; throws with what to install otherwise. Returns
 * the interpreter to run (`python3`, or Debian's own when only that one has pika).
 */
export function ensurePythonPika(): string {
  return ensurePythonModules([PIKA]);
}

/** The same for any modules (e.g. pika, yaml and jsonschema): installs the Debian packages missing. */
export function ensurePythonModules(modules: readonly PythonModule[]): string {
  const found = pythonWith(modules);
  if (found) return found;
  const packages = modules.map((m) => m.debianPackage);
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  const hasApt = spawnSync('sh', ['-c', 'command -v apt-get'], { stdio: 'ignore' }).status === 0;
  if (!isRoot || !hasApt) {
    throw new Error(
      `python3 cannot import ${modules.map((m) => m.module).join(', ')} and they cannot be installed from here: ` +
        `install the OS packages ${packages.join(' ')} (e.g. \`sudo apt-get install -y ${packages.join(' ')}\`)`,
    );
  }
  process.stderr.write(`[testing] installing the OS packages ${packages.join(' ')} (apt-get)…\n`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  // Another apt-get on the machine holds the lock for a while; wait for it rather than fail.
  const lock = ['-o', 'DPkg::Lock::Timeout=300'];
  execFileSync('apt-get', [...lock, 'update'], {
    stdio: ['ignore', 'ignore', 'inherit'],
    env,
  });
  execFileSync('apt-get', [...lock, 'install', '-y', '--no-install-recommends', ...packages], {
    stdio: ['ignore', 'ignore', 'inherit'],
    env,
  });
  const installed = pythonWith(modules);
  if (!installed)
    throw new Error(`apt-get installed ${packages.join(' ')} but ${SYSTEM_PYTHON} still cannot import them`);
  return installed;
}
