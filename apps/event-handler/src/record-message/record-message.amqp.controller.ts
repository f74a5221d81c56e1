import { MessageHandledIntegrationEvent } from '@hello/contracts';
import { AmqpPattern } from '@hello/messaging';
import { Controller } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { Payload } from '@nestjs/microservices';
import { ApplyIntegrationEventCommand } from '../projections/apply-integration-event.command';

@Controller()
export class RecordMessageAmqpController {
  constructor(private readonly commandBus: CommandBus) {}

  @AmqpPattern(MessageHandledIntegrationEvent.type, { decode: MessageHandledIntegrationEvent.parse })
  async handled(@Payload() event: MessageHandledIntegrationEvent): Promise<void> {
    await this.commandBus.execute(new ApplyIntegrationEventCommand(event));
  }
}
