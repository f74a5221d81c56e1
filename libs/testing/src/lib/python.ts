import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';

// Debian's python3-pika goes into the system interpreter, which a python3 earlier on PATH (pyenv, a
// virtualenv) does not see.
const SYSTEM_PYTHON = '/usr/bin/python3';

const canImportPika = (python: string) => spawnSync(python, ['-c', 'import pika'], { stdio: 'ignore' }).status === 0;

function pythonWithPika(): string | undefined {
  return ['python3', SYSTEM_PYTHON].find(
    (python) => (python === 'python3' || fs.existsSync(python)) && canImportPika(python),
  );
}

/**
 * Makes sure `python3` can import pika (RabbitMQ's Python client, for the tutorial clients): installs
 * Debian's python3-pika with apt-get when it is missing and this process is root, as
 * tools/rabbitmq/broker.cjs installs rabbitmq-server; throws with what to install otherwise. Returns
 * the interpreter to run (`python3`, or Debian's own when only that one has pika).
 */
export function ensurePythonPika(): string {
  const found = pythonWithPika();
  if (found) return found;
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  const hasApt = spawnSync('sh', ['-c', 'command -v apt-get'], { stdio: 'ignore' }).status === 0;
  if (!isRoot || !hasApt) {
    throw new Error(
      'python3 cannot import pika and it cannot be installed from here: install the OS package ' +
        'python3-pika (e.g. `sudo apt-get install -y python3-pika`)',
    );
  }
  process.stderr.write('[testing] installing the OS package python3-pika (apt-get)…\n');
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  // Another apt-get on the machine holds the lock for a while; wait for it rather than fail.
  const lock = ['-o', 'DPkg::Lock::Timeout=300'];
  execFileSync('apt-get', [...lock, 'update'], {
    stdio: ['ignore', 'ignore', 'inherit'],
    env,
  });
  execFileSync('apt-get', [...lock, 'install', '-y', '--no-install-recommends', 'python3-pika'], {
    stdio: ['ignore', 'ignore', 'inherit'],
    env,
  });
  const installed = pythonWithPika();
  if (!installed) throw new Error(`apt-get installed python3-pika but ${SYSTEM_PYTHON} still cannot import pika`);
  return installed;
}
