import { LineReceivedIntegrationEvent } from '@hello/contracts';
import { AmqpCommandController } from '../messaging/amqp-command-controller';
import { ApplyIntegrationEventCommand } from '../projections/apply-integration-event.command';

export class CountLineAmqpController extends AmqpCommandController(
  LineReceivedIntegrationEvent,
  (event) => new ApplyIntegrationEventCommand(event),
) {}
