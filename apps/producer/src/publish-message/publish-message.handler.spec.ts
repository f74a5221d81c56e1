import { ClientProxy } from '@nestjs/microservices';
import { of, throwError } from 'rxjs';
import { HELLO_MESSAGE_TYPE } from '@hello/contracts';
import { AmqpRecord, PublishTimeoutError } from '@hello/messaging';
import { PublishMessageCommand } from './publish-message.command';
import { PublishMessageHandler } from './publish-message.handler';

describe('PublishMessageHandler', () => {
  let emit: jest.Mock;
  let handler: PublishMessageHandler;

  beforeEach(() => {
    emit = jest.fn().mockReturnValue(of(undefined));
    handler = new PublishMessageHandler({ emit } as unknown as ClientProxy);
  });

  it('should emit a hello message with a new message id and answer that id', async () => {
    const { id } = await handler.execute(new PublishMessageCommand('Hello World!'));
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    const [pattern, record] = emit.mock.calls[0] as [string, AmqpRecord];
    expect(pattern).toBe(HELLO_MESSAGE_TYPE);
    expect(record).toBeInstanceOf(AmqpRecord);
    expect(record.body).toEqual({ text: 'Hello World!' });
    expect(record.options).toMatchObject({ messageId: id, correlationId: id });
  });

  it('should keep the correlation id of the request', async () => {
    await handler.execute(new PublishMessageCommand('x', 'order-7'));
    const [, record] = emit.mock.calls[0] as [string, AmqpRecord];
    expect(record.options.correlationId).toBe('order-7');
  });

  it('should give each message its own id', async () => {
    const first = await handler.execute(new PublishMessageCommand('a'));
    const second = await handler.execute(new PublishMessageCommand('a'));
    expect(first.id).not.toBe(second.id);
  });

  it('should fail when the broker does not confirm', async () => {
    emit.mockReturnValue(throwError(() => new PublishTimeoutError('m', 100)));
    await expect(handler.execute(new PublishMessageCommand('x'))).rejects.toBeInstanceOf(PublishTimeoutError);
  });
});
