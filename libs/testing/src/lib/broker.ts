import * as fs from 'node:fs';
import * as path from 'node:path';
import { startBroker } from '@hello/infra/rabbitmq';

const ROOT = path.resolve(__dirname, '..', '..', '..', '..');

/** A RabbitMQ node of a test's own (`@hello/infra`'s RabbitMQ launcher), for tests that restart the broker. */
export interface OwnBroker {
  readonly name: string;
  /** amqp://guest:guest@127.0.0.1:<port> (vhost `/`). */
  readonly url: string;
  readonly managementUrl: string;
  /** The node's launcher, leader of its process group (`process.kill(-pid, 'SIGKILL')` kills the node). */
  readonly pid: number;
  /** Stops the node (SIGTERM, a clean shutdown), keeping its data and port: an outage, until `restart()`. */
  halt(): Promise<void>;
  /** Stops the node (SIGTERM, as a clean shutdown) and starts it again with the same data and port. */
  restart(): Promise<void>;
  /** Stops the node and deletes its data. */
  stop(): Promise<void>;
}

/**
 * Starts a RabbitMQ node for one test (about 7 s), on free loopback ports; on `port` for AMQP when
 * given (a test that points an app at the broker before it runs).
 */
export async function startOwnBroker(name: string, options: { port?: number } = {}): Promise<OwnBroker> {
  const broker = await startBroker({ name: `${name}-${process.pid}`, port: options.port });
  const { managementUrl } = broker;
  if (managementUrl === undefined) throw new Error(`${broker.name} started without its management plugin`);
  return {
    name: broker.name,
    url: broker.url,
    managementUrl,
    get pid() {
      const pid = broker.pid;
      if (pid === undefined) throw new Error(`${broker.name} has no process`);
      return pid;
    },
    halt: () => broker.stop(),
    restart: () => broker.restart(),
    stop: async () => {
      await broker.stop();
      fs.rmSync(path.join(ROOT, '.local', 'rabbitmq', broker.name), {
        recursive: true,
        force: true,
      });
    },
  };
}
