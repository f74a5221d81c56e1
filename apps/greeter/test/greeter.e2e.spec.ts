import { status } from '@grpc/grpc-js';
import type { HelloReply } from '@hello/contracts';
import {
  failureOf,
  greeterClient,
  nextMessage,
  outcomeOf,
  sayHello,
  startTestGreeter,
  type DynamicClient,
} from './support/greeter-harness';
import type { GreeterApp } from '../src/greeter.app';

describe('greeter shutdown', () => {
  let greeter: GreeterApp | undefined;
  const clients: DynamicClient[] = [];
  const clientOf = (url: string) => {
    const client = greeterClient(url);
    clients.push(client);
    return client;
  };

  afterEach(async () => {
    clients.splice(0).forEach((client) => client.close());
    await greeter?.shutdown();
    greeter = undefined;
  });

  it('should let calls in flight finish, refuse new calls, then close', async () => {
    greeter = await startTestGreeter({ shutdownGraceMs: 5_000 });
    const client = clientOf(greeter.url);
    const stream = client['SayHelloStreamReply']({ name: 'Drain' });
    const streamOutcome = outcomeOf<HelloReply>(stream);
    const bidi = client['SayHelloBidiStream']();
    const bidiOutcome = outcomeOf<HelloReply>(bidi);
    bidi.write({ name: 'before' });
    await Promise.all([nextMessage(stream), nextMessage(bidi)]);

    const startedAt = Date.now();
    let closed = false;
    const closing = greeter.shutdown().then(() => (closed = true));

    const fromNewClient = await failureOf(sayHello(clientOf(greeter.url), { name: 'late' }));
    expect(fromNewClient.code).toBe(status.UNAVAILABLE);
    const onOpenConnection = await failureOf(sayHello(client, { name: 'late' }));
    expect(onOpenConnection.code).toBe(status.UNAVAILABLE);

    // The bidi call started before shutdown still gets answers, then ends when the client ends it.
    bidi.write({ name: 'during' });
    await expect(nextMessage(bidi)).resolves.toEqual({ message: 'Hello, during!' });
    bidi.end();
    expect(await bidiOutcome).toEqual({
      messages: [{ message: 'Hello, before!' }, { message: 'Hello, during!' }],
      status: expect.objectContaining({ code: status.OK }),
    });

    expect(closed).toBe(false);
    const { messages, status: final } = await streamOutcome;
    expect(final.code).toBe(status.OK);
    expect(messages.map((m) => m.message)).toEqual([1, 2, 3, 4, 5].map((n) => `Hello, Drain! (${n}/5)`));

    await closing;
    expect(Date.now() - startedAt).toBeLessThan(5_000);
  });

  it('should cut off calls still in flight when the grace period ends', async () => {
    const graceMs = 300;
    greeter = await startTestGreeter({ shutdownGraceMs: graceMs });
    const bidi = clientOf(greeter.url)['SayHelloBidiStream']();
    const outcome = outcomeOf<HelloReply>(bidi);
    bidi.write({ name: 'lingering' });
    await nextMessage(bidi);

    const startedAt = Date.now();
    await greeter.shutdown();
    const took = Date.now() - startedAt;
    expect(took).toBeGreaterThanOrEqual(graceMs - 20);
    expect(took).toBeLessThan(graceMs + 1_000);

    const { status: final } = await outcome;
    expect(final.code).not.toBe(status.OK);
  });

  it('should cut off calls still in flight at once when forced, long before the grace period ends', async () => {
    greeter = await startTestGreeter({ shutdownGraceMs: 60_000 });
    const bidi = clientOf(greeter.url)['SayHelloBidiStream']();
    const outcome = outcomeOf<HelloReply>(bidi);
    bidi.write({ name: 'lingering' });
    await nextMessage(bidi);

    const startedAt = Date.now();
    const closing = greeter.shutdown();
    greeter.forceShutdown();
    await closing;
    expect(Date.now() - startedAt).toBeLessThan(1_000);
    expect((await outcome).status.code).toBe(status.CANCELLED);
  });

  it('should close at once when nothing is in flight', async () => {
    greeter = await startTestGreeter({ shutdownGraceMs: 5_000 });
    const client = clientOf(greeter.url);
    await sayHello(client, { name: 'idle' });
    const startedAt = Date.now();
    await greeter.shutdown();
    expect(Date.now() - startedAt).toBeLessThan(1_000);
  });

  it('should return the same shutdown to a second caller', async () => {
    greeter = await startTestGreeter();
    expect(greeter.shutdown()).toBe(greeter.shutdown());
    await greeter.shutdown();
  });
});
