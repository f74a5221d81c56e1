import { Injectable } from '@nestjs/common';
import { type ICommand, type IEvent, ofType, Saga } from '@nestjs/cqrs';
import { filter, map, type Observable } from 'rxjs';
import { GreetingCountedEvent } from '../count-greeting/greeting-counted.event';
import { SendWelcomeMessageCommand } from './send-welcome-message.command';

/**
 * Welcomes a name the first time it is greeted. "First" is decided inside the inbox
 * transaction (the count went from 0 to 1, and the welcome was written to the outbox there), so
 * a duplicate or a later greeting never reaches this saga with a welcome to send.
 */
@Injectable()
export class WelcomeNewNameSaga {
  @Saga()
  welcomeNewName = (events$: Observable<IEvent>): Observable<ICommand> =>
    events$.pipe(
      ofType(GreetingCountedEvent),
      filter((event) => event.welcomeMessageId !== null),
      map((event) => new SendWelcomeMessageCommand(event.welcomeMessageId as string)),
    );
}
