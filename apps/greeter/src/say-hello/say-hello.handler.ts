import { CommandHandler, EventBus, type ICommandHandler } from '@nestjs/cqrs';
import { greetingFor, parseHelloRequest, type HelloReply } from '@hello/contracts';
import { Clock } from '../shared/clock';
import { GreetedEvent } from './greeted.event';
import { SayHelloCommand } from './say-hello.command';

@CommandHandler(SayHelloCommand)
export class SayHelloHandler implements ICommandHandler<SayHelloCommand> {
  constructor(
    private readonly eventBus: EventBus,
    private readonly clock: Clock,
  ) {}

  async execute(command: SayHelloCommand): Promise<HelloReply> {
    const { name } = parseHelloRequest(command);
    const message = greetingFor(name);
    this.eventBus.publish(new GreetedEvent(name, message, this.clock.now()));
    return { message };
  }
}
