import { CommandHandler, EventBus, type ICommandHandler } from '@nestjs/cqrs';
import {
  deriveId,
  greetingFor,
  GreetingGreetedIntegrationEvent,
  parseHelloRequest,
  type HelloReply,
} from '@hello/contracts';
import { GreeterBroker } from '../messaging/greeter-broker';
import { Clock } from '../shared/clock';
import { GreetedEvent } from './greeted.event';
import { SayHelloCommand } from './say-hello.command';

@CommandHandler(SayHelloCommand)
export class SayHelloHandler implements ICommandHandler<SayHelloCommand> {
  constructor(
    private readonly eventBus: EventBus,
    private readonly clock: Clock,
    private readonly broker: GreeterBroker,
  ) {}

  async execute(command: SayHelloCommand): Promise<HelloReply> {
    const { name } = parseHelloRequest(command);
    const message = greetingFor(name);
    const eventId = command.requestId ? deriveId(GreetingGreetedIntegrationEvent.type, command.requestId) : undefined;
    // No greeting is answered OK unless its event can be kept until the broker confirms it.
    this.broker.admitEvent();
    this.eventBus.publish(new GreetedEvent(name, message, this.clock.now(), eventId));
    return { message };
  }
}
