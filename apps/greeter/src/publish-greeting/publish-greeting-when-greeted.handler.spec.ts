import { GreetingGreetedIntegrationEvent, isUuid } from '@hello/contracts';
import type { OutgoingMessage } from '@hello/messaging';
import { context, ROOT_CONTEXT, trace, TraceFlags } from '@opentelemetry/api';
import type { GreeterBroker } from '../messaging/greeter-broker';
import { GreetedEvent } from '../say-hello/greeted.event';
import { PublishGreetingWhenGreetedHandler } from './publish-greeting-when-greeted.handler';

describe('PublishGreetingWhenGreetedHandler', () => {
  const greetedAt = new Date('2026-01-02T03:04:05.678Z');
  let enqueue: jest.Mock<boolean, [OutgoingMessage]>;
  let handler: PublishGreetingWhenGreetedHandler;

  beforeEach(() => {
    enqueue = jest.fn<boolean, [OutgoingMessage]>(() => true);
    handler = new PublishGreetingWhenGreetedHandler({ events: { enqueue } } as unknown as GreeterBroker);
  });

  const published = (): OutgoingMessage => {
    expect(enqueue).toHaveBeenCalledTimes(1);
    return enqueue.mock.calls[0][0];
  };

  it('should hand one greeting.greeted v1 event to the buffer, addressed to hello.events', () => {
    handler.handle(new GreetedEvent('Ada', 'Hello, Ada!', greetedAt));
    const message = published();
    expect(message).toMatchObject({
      exchange: 'hello.events',
      routingKey: 'greeting.greeted',
      type: 'greeting.greeted.v1',
    });
    expect(message.body).toEqual({
      eventId: message.messageId,
      name: 'Ada',
      message: 'Hello, Ada!',
      greetedAt: '2026-01-02T03:04:05.678Z',
    });
    expect(isUuid(message.messageId)).toBe(true);
    // What consumers will read back is a valid event.
    expect(GreetingGreetedIntegrationEvent.parse(JSON.parse(JSON.stringify(message.body)))).toBeInstanceOf(
      GreetingGreetedIntegrationEvent,
    );
  });

  it('should give every greeting its own event id', () => {
    handler.handle(new GreetedEvent('Ada', 'Hello, Ada!', greetedAt));
    handler.handle(new GreetedEvent('Ada', 'Hello, Ada!', greetedAt));
    const [first, second] = enqueue.mock.calls.map(([message]) => message.messageId);
    expect(first).not.toBe(second);
  });

  it("should keep the call's trace context, so the later publish is a child of the call's span", () => {
    const callSpan = {
      traceId: '0af7651916cd43dd8448eb211c80319c',
      spanId: 'b7ad6b7169203331',
      traceFlags: TraceFlags.SAMPLED,
    };
    context.with(trace.setSpanContext(ROOT_CONTEXT, callSpan), () =>
      handler.handle(new GreetedEvent('Ada', 'Hello, Ada!', greetedAt)),
    );
    const kept = published().traceContext;
    expect(kept && trace.getSpanContext(kept)).toEqual(callSpan);
  });

  it('should use the id the greeting carries, so that a repeat of an AMQP request publishes the same event', () => {
    const eventId = '5b0e6f5e-3c1d-5f0a-9d6e-6c1e5a6b8f21';
    handler.handle(new GreetedEvent('Ada', 'Hello, Ada!', greetedAt, eventId));
    expect(published()).toMatchObject({ messageId: eventId, body: expect.objectContaining({ eventId }) });
  });
});
