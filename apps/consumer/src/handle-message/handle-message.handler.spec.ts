import { Logger } from '@nestjs/common';
import { EventBus } from '@nestjs/cqrs';
import { MessageHandledIntegrationEvent } from '@hello/contracts';
import { HandleMessageCommand } from './handle-message.command';
import { HandleMessageHandler } from './handle-message.handler';
import { MessageHandledEvent } from './message-handled.event';
import { MessageHandledPublisher } from './message-handled.publisher';

describe('HandleMessageHandler', () => {
  let publish: jest.Mock;
  let eventBus: { publish: jest.Mock };
  let handler: HandleMessageHandler;

  beforeEach(() => {
    publish = jest.fn().mockResolvedValue(undefined);
    eventBus = { publish: jest.fn() };
    handler = new HandleMessageHandler(
      { publish } as unknown as MessageHandledPublisher,
      eventBus as unknown as EventBus,
    );
    jest.spyOn(Logger.prototype, 'log').mockImplementation(() => undefined);
  });

  afterEach(() => jest.restoreAllMocks());

  it('should log the text as the tutorial does', async () => {
    await handler.execute(new HandleMessageCommand('m-1', 'Hello World!'));
    expect(Logger.prototype.log).toHaveBeenCalledWith(' [x] Received Hello World!');
  });

  it('should publish the effect with an id derived from the message id, then the MessageHandledEvent', async () => {
    await handler.execute(new HandleMessageCommand('m-1', 'Hello World!'));

    const [effect] = publish.mock.calls[0] as [MessageHandledIntegrationEvent];
    expect(effect).toBeInstanceOf(MessageHandledIntegrationEvent);
    expect(effect).toMatchObject({
      messageId: 'm-1',
      text: 'Hello World!',
      eventId: MessageHandledIntegrationEvent.eventIdFor('m-1'),
    });

    const [event] = eventBus.publish.mock.calls[0] as [MessageHandledEvent];
    expect(event).toBeInstanceOf(MessageHandledEvent);
    expect(event).toMatchObject({
      messageId: 'm-1',
      text: 'Hello World!',
      effectId: effect.eventId,
    });
    expect(event.handledAt.toISOString()).toBe(effect.handledAt);
    expect(publish.mock.invocationCallOrder[0]).toBeLessThan(eventBus.publish.mock.invocationCallOrder[0]);
  });

  it('should give the same effect id to a duplicate of the same message', async () => {
    await handler.execute(new HandleMessageCommand('m-2', 'again'));
    await handler.execute(new HandleMessageCommand('m-2', 'again'));
    const ids = publish.mock.calls.map(([effect]) => (effect as MessageHandledIntegrationEvent).eventId);
    expect(ids[0]).toBe(ids[1]);
  });

  it('should fail, and not announce the message as handled, when the effect cannot be published', async () => {
    publish.mockRejectedValue(new Error('broker gone'));
    await expect(handler.execute(new HandleMessageCommand('m-3', 'x'))).rejects.toThrow('broker gone');
    expect(eventBus.publish).not.toHaveBeenCalled();
  });
});
