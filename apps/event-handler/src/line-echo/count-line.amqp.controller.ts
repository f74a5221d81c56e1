import { LineReceivedIntegrationEvent } from '@hello/contracts';
import { AmqpPattern } from '@hello/messaging';
import { Controller } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { Payload } from '@nestjs/microservices';
import { ApplyIntegrationEventCommand } from '../projections/apply-integration-event.command';

@Controller()
export class CountLineAmqpController {
  constructor(private readonly commandBus: CommandBus) {}

  @AmqpPattern(LineReceivedIntegrationEvent.type, { decode: LineReceivedIntegrationEvent.parse })
  async received(@Payload() event: LineReceivedIntegrationEvent): Promise<void> {
    await this.commandBus.execute(new ApplyIntegrationEventCommand(event));
  }
}
