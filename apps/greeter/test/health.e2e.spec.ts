import { status } from '@grpc/grpc-js';
import type { HealthCheckResponse } from '@hello/contracts';
import {
  failureOf,
  healthClient,
  nextMessage,
  outcomeOf,
  startTestGreeter,
  unary,
  type DynamicClient,
} from './support/greeter-harness';
import type { GreeterApp } from '../src/greeter.app';

// The test client loads enums as names: { status: 'SERVING' }.
type Reply = Omit<HealthCheckResponse, 'status'> & { status: string };

describe('grpc.health.v1.Health over a real socket', () => {
  let greeter: GreeterApp;
  let client: DynamicClient;

  beforeAll(async () => {
    greeter = await startTestGreeter();
    client = healthClient(greeter.url);
  });

  afterAll(async () => {
    client?.close();
    await greeter?.shutdown();
  });

  it.each(['', 'helloworld.Greeter'])('should answer Check for "%s" with SERVING', async (service) => {
    await expect(unary<Reply>(client, 'Check', { service })).resolves.toEqual({ status: 'SERVING' });
  });

  it('should answer Check for an unknown service with NOT_FOUND', async () => {
    const error = await failureOf(unary(client, 'Check', { service: 'helloworld.Nope' }));
    expect(error.code).toBe(status.NOT_FOUND);
    expect(error.details).toBe('unknown service "helloworld.Nope"');
  });

  it('should send SERVICE_UNKNOWN to a Watch of an unknown service and keep it open', async () => {
    const call = client['Watch']({ service: 'helloworld.Nope' });
    const outcome = outcomeOf<Reply>(call);
    await expect(nextMessage<Reply>(call)).resolves.toEqual({ status: 'SERVICE_UNKNOWN' });
    call.cancel();
    expect((await outcome).status.code).toBe(status.CANCELLED);
  });
});

describe('grpc.health.v1.Health while the greeter shuts down', () => {
  it('should show NOT_SERVING to open Watch calls, end them, and not let them hold up the drain', async () => {
    const greeter = await startTestGreeter({ shutdownGraceMs: 5_000 });
    const client = healthClient(greeter.url);
    try {
      const whole = client['Watch']({ service: '' });
      const greeterService = client['Watch']({ service: 'helloworld.Greeter' });
      const outcomes = [outcomeOf<Reply>(whole), outcomeOf<Reply>(greeterService)];
      await Promise.all([nextMessage(whole), nextMessage(greeterService)]);

      const startedAt = Date.now();
      await greeter.shutdown();
      expect(Date.now() - startedAt).toBeLessThan(1_000);

      for (const { messages, status: final } of await Promise.all(outcomes)) {
        expect(messages).toEqual([{ status: 'SERVING' }, { status: 'NOT_SERVING' }]);
        expect(final.code).toBe(status.OK);
      }
    } finally {
      client.close();
      await greeter.shutdown();
    }
  });
});
