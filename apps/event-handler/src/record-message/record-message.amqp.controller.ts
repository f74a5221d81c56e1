import { MessageHandledIntegrationEvent } from '@hello/contracts';
import { AmqpCommandController } from '../messaging/amqp-command-controller';
import { ApplyIntegrationEventCommand } from '../projections/apply-integration-event.command';

export class RecordMessageAmqpController extends AmqpCommandController(
  MessageHandledIntegrationEvent,
  (event) => new ApplyIntegrationEventCommand(event),
) {}
