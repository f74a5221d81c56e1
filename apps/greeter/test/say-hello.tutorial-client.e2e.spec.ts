import { execFile } from 'node:child_process';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { createTestVhost, ensurePythonPika, type TestVhost } from '@hello/testing';
import type { GreeterApp } from '../src/greeter.app';
import { startTestGreeter } from './support/greeter-harness';
import { GreeterRpcServer } from '../src/messaging/greeter-rpc-server';

const run = promisify(execFile);
const CLIENT = path.join(__dirname, 'support', 'rpc_client.py');

// RabbitMQ's own tutorial-six client in Python (pika), not the project's code, against the greeter.
describe('the RabbitMQ tutorial RPC client (Python, pika) against the greeter', () => {
  let vhost: TestVhost;
  let greeter: GreeterApp;
  let python: string;

  beforeAll(async () => {
    python = ensurePythonPika();
    vhost = await createTestVhost('greeter-tutorial');
    greeter = await startTestGreeter({ rabbitmqUrl: vhost.url });
    await greeter.app.get(GreeterRpcServer).server.waitUntilConsuming();
  }, 600_000);

  afterAll(async () => {
    await greeter?.shutdown();
    await vhost?.delete();
  });

  it.each(['callback-queue', 'direct'])('should get Hello, <name>! with %s replies', async (mode) => {
    const { stdout } = await run(python, [CLIENT, vhost.url, mode, 'World', 'Zoë'], { timeout: 30_000 });
    expect(stdout.trimEnd().split('\n')).toEqual([
      ' [x] Requesting SayHello(World)',
      ' [.] Got {"message":"Hello, World!"}',
      ' [x] Requesting SayHello(Zoë)',
      ' [.] Got {"message":"Hello, Zoë!"}',
    ]);
  });
});
