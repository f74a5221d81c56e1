import { Body, Controller, Headers, HttpCode, HttpStatus, Post } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { parseHelloMessage } from '@hello/contracts';
import { PublishMessageCommand } from './publish-message.command';

@Controller('messages')
export class PublishMessageHttpController {
  constructor(private readonly commandBus: CommandBus) {}

  /**
   * 202 with the message id once the broker has confirmed the message; 400/413 for a bad body
   * (ContractViolation), 503 when the broker does not confirm in time (see ProducerHttpErrorFilter).
   */
  @Post()
  @HttpCode(HttpStatus.ACCEPTED)
  publish(
    @Body() body: unknown,
    @Headers('x-correlation-id') correlationId?: string,
  ): Promise<{ readonly id: string }> {
    const { text } = parseHelloMessage(body);
    return this.commandBus.execute(new PublishMessageCommand(text, correlationId || undefined));
  }
}
