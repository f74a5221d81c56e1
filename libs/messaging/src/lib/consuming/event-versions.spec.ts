import { Controller, INestMicroservice } from '@nestjs/common';
import { Payload } from '@nestjs/microservices';
import { Test } from '@nestjs/testing';
import { checkContract, eventStyle, GreetingGreetedIntegrationEvent, GreetingGreetedV1Schema } from '@hello/contracts';
import { AmqpTestClient, createTestVhost, TestVhost, waitFor } from '@hello/testing';
import { z } from 'zod';
import { AmqpPattern } from './amqp-pattern.decorator';
import { AmqpServer } from './amqp-server';
import { SettledDelivery } from './settled-delivery';

// The schema-evolution guide (docs/contracts.md) on a real broker: a v1 reader takes a v1 event
// that carries a field added later, and a v2 published beside v1 reaches its own handler while v1
// readers keep working. v2 here is this spec's own: the greeting with a required `locale`.

const GreetingGreetedV2Schema = GreetingGreetedV1Schema.extend({
  locale: z.string({ error: 'must be a string' }).min(2, { error: 'must be a BCP 47 tag' }),
}).meta({ title: 'greeting.greeted.v2' });
const V2 = 'greeting.greeted.v2';
const parseV2 = (body: unknown) => checkContract(GreetingGreetedV2Schema, body, eventStyle(V2));

@Controller()
class Readers {
  readonly v1: GreetingGreetedIntegrationEvent[] = [];
  readonly v2: z.output<typeof GreetingGreetedV2Schema>[] = [];

  @AmqpPattern(GreetingGreetedIntegrationEvent.type, { decode: GreetingGreetedIntegrationEvent.parse })
  readV1(@Payload() event: GreetingGreetedIntegrationEvent): void {
    this.v1.push(event);
  }

  @AmqpPattern(V2, { decode: parseV2 })
  readV2(@Payload() event: z.output<typeof GreetingGreetedV2Schema>): void {
    this.v2.push(event);
  }
}

describe('integration event versions on the wire', () => {
  let vhost: TestVhost;
  let client: AmqpTestClient;
  let app: INestMicroservice;
  let readers: Readers;
  const settled: SettledDelivery[] = [];
  const queue = 'versions';
  const greeting = (name: string) =>
    GreetingGreetedIntegrationEvent.create({ name, message: `Hello, ${name}!` }).toJSON();
  const publish = (type: string, body: object, messageId: string) =>
    client.publish(queue, JSON.stringify(body), { type, messageId, contentType: 'application/json', persistent: true });
  const settledOf = async (messageId: string) => {
    await waitFor(() => settled.some((s) => s.messageId === messageId), { message: `${messageId} settled` });
    return settled.find((s) => s.messageId === messageId);
  };

  beforeAll(async () => {
    vhost = await createTestVhost('event-versions');
    const server = new AmqpServer({
      url: vhost.url,
      queue,
      prefetch: 10,
      retry: { delaysMs: [] },
      drainTimeoutMs: 5_000,
    });
    server.on('settled', (delivery) => settled.push(delivery));
    const moduleRef = await Test.createTestingModule({ controllers: [Readers] }).compile();
    app = moduleRef.createNestMicroservice({ strategy: server, logger: false });
    await app.listen();
    readers = app.get(Readers);
    client = await AmqpTestClient.connect(vhost.url);
  });

  afterAll(async () => {
    await client?.close();
    await app?.close();
    await vhost?.delete();
  });

  it('should let a v1 reader take a v1 event carrying an optional field added later', async () => {
    await publish(GreetingGreetedIntegrationEvent.type, { ...greeting('ada'), locale: 'en' }, 'v1-extra');
    expect(await settledOf('v1-extra')).toMatchObject({ outcome: 'handled', action: 'ack' });
    expect(readers.v1.map((e) => e.name)).toContain('ada');
    expect(readers.v1.find((e) => e.name === 'ada')).not.toHaveProperty('locale');
  });

  it('should hand v2 to its own reader and v1 to the v1 reader, on the same queue', async () => {
    await publish(V2, { ...greeting('grace'), locale: 'en-GB' }, 'v2-1');
    await publish(GreetingGreetedIntegrationEvent.type, greeting('alan'), 'v1-1');
    expect(await settledOf('v2-1')).toMatchObject({ outcome: 'handled', pattern: V2 });
    expect(await settledOf('v1-1')).toMatchObject({
      outcome: 'handled',
      pattern: GreetingGreetedIntegrationEvent.type,
    });
    expect(readers.v2).toEqual([expect.objectContaining({ name: 'grace', locale: 'en-GB' })]);
    expect(readers.v1.map((e) => e.name)).toContain('alan');
  });

  it('should dead-letter a v2 event without its required field, naming it', async () => {
    await publish(V2, greeting('linus'), 'v2-no-locale');
    expect(await settledOf('v2-no-locale')).toMatchObject({ action: 'dead-letter', reason: 'invalid-event' });
    const [dead] = await client.get(`${queue}.dead`, 1);
    expect(dead?.properties.headers?.['x-hello-death-detail']).toBe('greeting.greeted.v2: "locale" must be a string');
  });

  it('should dead-letter a version no reader knows (a retired v0, a v3 from the future) as unknown-type', async () => {
    await publish('greeting.greeted.v3', greeting('barbara'), 'v3-1');
    expect(await settledOf('v3-1')).toMatchObject({ action: 'dead-letter', reason: 'unknown-type' });
  });
});
