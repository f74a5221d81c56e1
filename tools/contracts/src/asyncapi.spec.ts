import { Topology } from '@hello/contracts';
import { exchangeTopology, mergeTopologies } from '@hello/messaging';
import { asyncApiDocument, declaredTopology, topicMatches } from './asyncapi';

describe('topicMatches', () => {
  it.each([
    ['greeting.greeted', 'greeting.greeted', true],
    ['greeting.*', 'greeting.greeted', true],
    ['#', 'line.received', true],
    ['greeting.#', 'greeting', true],
    ['greeting.#', 'greeting.greeted.late', true],
    ['*', 'greeting.greeted', false],
    ['message.handled', 'greeting.greeted', false],
  ])('%s routes %s: %s', (bindingKey, routingKey, routes) => {
    expect(topicMatches(bindingKey, routingKey)).toBe(routes);
  });
});

describe('asyncApiDocument', () => {
  it('should give a queue it has no words for a channel of its own, with the events its bindings route to it', () => {
    // What a feature that adds a queue declares (e.g. an event log: a stream bound to every event).
    const log = 'hello.events.log';
    const document = asyncApiDocument(
      mergeTopologies(declaredTopology(), exchangeTopology(Topology.eventsExchange), {
        exchanges: [],
        queues: [{ name: log, arguments: { 'x-queue-type': 'stream' } }],
        bindings: [{ queue: log, exchange: Topology.eventsExchange, routingKey: '#' }],
      }),
    ) as { channels: Record<string, { address: string; messages: object; bindings: { amqp: object } }> };
    expect(document.channels[log]).toMatchObject({
      address: log,
      bindings: {
        amqp: {
          is: 'queue',
          queue: { name: log, 'x-arguments': { 'x-queue-type': 'stream' } },
          'x-bindings': [{ exchange: Topology.eventsExchange, routingKey: '#' }],
        },
      },
    });
    expect(Object.keys(document.channels[log].messages).sort()).toEqual([
      'GreetingGreetedV1',
      'LineReceivedV1',
      'MessageHandledV1',
    ]);
  });
});
