import { join } from 'node:path';

// One implementation of freePort for the launchers in tools/ (CommonJS) and for the specs.
const host = require(join(__dirname, '..', '..', '..', '..', 'tools', 'scripts', 'host.cjs')) as {
  freePort(): Promise<number>;
};

/** A TCP port on 127.0.0.1 that was free a moment ago. */
export function freePort(): Promise<number> {
  return host.freePort();
}
