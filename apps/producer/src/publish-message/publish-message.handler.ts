import { Inject, Logger } from '@nestjs/common';
import { CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { ClientProxy } from '@nestjs/microservices';
import { randomUUID } from 'node:crypto';
import { lastValueFrom } from 'rxjs';
import { HELLO_MESSAGE_TYPE, HelloMessage } from '@hello/contracts';
import { AmqpRecord } from '@hello/messaging';
import { HELLO_QUEUE_CLIENT } from '../messaging/producer-broker';
import { PublishMessageCommand } from './publish-message.command';

@CommandHandler(PublishMessageCommand)
export class PublishMessageHandler implements ICommandHandler<PublishMessageCommand> {
  private readonly logger = new Logger(PublishMessageHandler.name);

  constructor(@Inject(HELLO_QUEUE_CLIENT) private readonly client: ClientProxy) {}

  async execute(command: PublishMessageCommand): Promise<{ readonly id: string }> {
    const id = randomUUID();
    const body: HelloMessage = { text: command.text };
    // Completes only after the broker's confirm; throws PublishTimeoutError when it never comes.
    await lastValueFrom(
      this.client.emit(
        HELLO_MESSAGE_TYPE,
        new AmqpRecord(body, {
          messageId: id,
          correlationId: command.correlationId ?? id,
        }),
      ),
      { defaultValue: undefined },
    );
    this.logger.debug(`message ${id} confirmed by the broker`);
    return { id };
  }
}
