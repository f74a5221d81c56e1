import { Controller } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { Ctx, Payload } from '@nestjs/microservices';
import { HELLO_MESSAGE_TYPE, HelloMessage } from '@hello/contracts';
import { AmqpContext, AmqpPattern } from '@hello/messaging';
import { HandleMessageCommand } from './handle-message.command';
import { decodeHelloMessage } from './hello-message.decoder';

@Controller()
export class HandleMessageAmqpController {
  constructor(private readonly commandBus: CommandBus) {}

  /** Resolves when handled (the server then acks); throws to let the server's policy retry. */
  @AmqpPattern(HELLO_MESSAGE_TYPE, { decode: decodeHelloMessage })
  handle(@Payload() message: HelloMessage, @Ctx() context: AmqpContext): Promise<void> {
    return this.commandBus.execute(new HandleMessageCommand(context.messageId, message.text));
  }
}
