import { CommandHandler, EventBus, type ICommandHandler } from '@nestjs/cqrs';
import { greetingFor, parseHelloRequest, type HelloReply } from '@hello/contracts';
import { map, take, timer, type Observable } from 'rxjs';
import { GreeterBroker } from '../messaging/greeter-broker';
import { Clock } from '../shared/clock';
import { GreetedEvent } from '../say-hello/greeted.event';
import { StreamGreetingsCommand } from './stream-greetings.command';

/** How many greetings one SayHelloStreamReply call sends. */
export const STREAM_GREETING_COUNT = 5;
/** The pause between two greetings of a stream; the first is sent at once. */
export const STREAM_GREETING_INTERVAL_MS = 200;

@CommandHandler(StreamGreetingsCommand)
export class StreamGreetingsHandler implements ICommandHandler<StreamGreetingsCommand> {
  constructor(
    private readonly eventBus: EventBus,
    private readonly clock: Clock,
    private readonly broker: GreeterBroker,
  ) {}

  // The name is checked before the stream exists, so a bad one fails the call with no reply.
  // The stream is cold: nothing is greeted until it is subscribed, and unsubscribing (the
  // client cancelled or its deadline passed) stops the timer, so no greeting is made after.
  async execute(command: StreamGreetingsCommand): Promise<Observable<HelloReply>> {
    const { name } = parseHelloRequest(command);
    const greeting = greetingFor(name);
    return timer(0, STREAM_GREETING_INTERVAL_MS).pipe(
      take(STREAM_GREETING_COUNT),
      map((index) => {
        const message = `${greeting} (${index + 1}/${STREAM_GREETING_COUNT})`;
        // Ends the stream UNAVAILABLE rather than send a greeting whose event cannot be kept.
        this.broker.admitEvent();
        this.eventBus.publish(new GreetedEvent(name, message, this.clock.now()));
        return { message };
      }),
    );
  }
}
