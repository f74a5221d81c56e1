import { GreetingGreetedIntegrationEvent } from '@hello/contracts';
import { AmqpPattern } from '@hello/messaging';
import { Controller } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { Payload } from '@nestjs/microservices';
import { ApplyIntegrationEventCommand } from '../projections/apply-integration-event.command';

@Controller()
export class CountGreetingAmqpController {
  constructor(private readonly commandBus: CommandBus) {}

  /** A body that breaks the contract never gets here: the decoder's ContractViolation dead-letters it. */
  @AmqpPattern(GreetingGreetedIntegrationEvent.type, { decode: GreetingGreetedIntegrationEvent.parse })
  async greeted(@Payload() event: GreetingGreetedIntegrationEvent): Promise<void> {
    await this.commandBus.execute(new ApplyIntegrationEventCommand(event));
  }
}
