import { rmSync } from 'node:fs';
import { join } from 'node:path';

// A RabbitMQ node of a spec's own, for specs that stop and start it (the shared test broker cannot
// be). `startOwnBroker` of @hello/testing picks its own port; here the greeter knows the port first.
const ROOT = join(__dirname, '..', '..', '..', '..');

export interface Broker {
  readonly name: string;
  readonly url: string;
  readonly managementUrl: string;
  readonly pid: number;
  stop(): Promise<void>;
  restart(): Promise<void>;
}

// Loaded at run time: a plain CommonJS tool of the repository, not a library.
export const { startBroker, freePort } = require(join(ROOT, 'tools', 'rabbitmq', 'broker.cjs')) as {
  startBroker(options: { name: string; port: number }): Promise<Broker>;
  freePort(): Promise<number>;
};

/**
 * The final clean-up: kills the node and deletes its data. A clean stop is the outage the tests
 * use: right after a kill, RabbitMQ 3.10 may not bring a freshly declared quorum queue back (its
 * leader stays unknown). Killing is fine here, where the data are thrown away.
 */
export async function disposeBroker(broker: Broker): Promise<void> {
  try {
    try {
      process.kill(-broker.pid, 'SIGKILL');
    } catch {
      // Already stopped (a test failed during an outage).
    }
    await broker.stop();
  } finally {
    rmSync(join(ROOT, '.local', 'rabbitmq', broker.name), { recursive: true, force: true });
  }
}
