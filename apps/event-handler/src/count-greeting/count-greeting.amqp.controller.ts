import { GreetingGreetedIntegrationEvent } from '@hello/contracts';
import { AmqpCommandController } from '../messaging/amqp-command-controller';
import { ApplyIntegrationEventCommand } from '../projections/apply-integration-event.command';

export class CountGreetingAmqpController extends AmqpCommandController(
  GreetingGreetedIntegrationEvent,
  (event) => new ApplyIntegrationEventCommand(event),
) {}
