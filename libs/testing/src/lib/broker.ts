import * as fs from 'node:fs';
import * as path from 'node:path';

const ROOT = path.resolve(__dirname, '..', '..', '..', '..');

/** A RabbitMQ node of a test's own (tools/rabbitmq/broker.cjs), for tests that restart the broker. */
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

interface BrokerTool {
  startBroker(options: { name: string; port?: number }): Promise<{
    name: string;
    url: string;
    managementUrl: string;
    pid: number;
    restart(): Promise<void>;
    stop(): Promise<void>;
  }>;
}

/**
 * Starts a RabbitMQ node for one test (about 7 s), on free loopback ports; on `port` for AMQP when
 * given (a test that points an app at the broker before it runs).
 */
export async function startOwnBroker(name: string, options: { port?: number } = {}): Promise<OwnBroker> {
  // Loaded at run time: a plain CommonJS tool of the repository, not a library.
  const tool = require(path.join(ROOT, 'tools', 'rabbitmq', 'broker.cjs')) as BrokerTool;
  const broker = await tool.startBroker({ name: `${name}-${process.pid}`, port: options.port });
  return {
    name: broker.name,
    url: broker.url,
    managementUrl: broker.managementUrl,
    get pid() {
      return broker.pid;
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
