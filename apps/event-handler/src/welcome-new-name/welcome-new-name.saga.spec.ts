import { Metrics as PlatformMetrics } from '@hello/platform';
import { GreetingGreetedIntegrationEvent, HELLO_MESSAGE_TYPE, type IntegrationEvent } from '@hello/contracts';
import { Injectable } from '@nestjs/common';
import { CommandBus, CommandHandler, CqrsModule, type ICommandHandler, type IEvent } from '@nestjs/cqrs';
import { Test, type TestingModule } from '@nestjs/testing';
import { Subject } from 'rxjs';
import { CountGreetingWhenGreeted } from '../count-greeting/count-greeting-when-greeted.projector';
import { GreetingCountedEvent } from '../count-greeting/greeting-counted.event';
import { EventHandlerMetrics } from '../health/event-handler-metrics';
import { ApplyIntegrationEventCommand } from '../projections/apply-integration-event.command';
import { ApplyIntegrationEventHandler } from '../projections/apply-integration-event.handler';
import { ProjectionStore } from '../projections/projection-store';
import { PROJECTORS } from '../projections/projector';
import { createTestDatabaseLocation, DIALECTS, type TestDatabaseLocation } from '../../test/support/test-databases';
import { SendWelcomeMessageCommand } from './send-welcome-message.command';
import { welcomeMessageFor } from './welcome-message';
import { WelcomeNewNameSaga } from './welcome-new-name.saga';

// Half of these tests create a PostgreSQL database first: on a loaded machine that alone can take
// a few seconds, more than Jest's default timeout.
jest.setTimeout(30_000);

describe('WelcomeNewNameSaga', () => {
  it('should emit one command for a first greeting and none for later ones', () => {
    const events$ = new Subject<IEvent>();
    const commands: SendWelcomeMessageCommand[] = [];
    new WelcomeNewNameSaga().welcomeNewName(events$).subscribe((c) => commands.push(c as SendWelcomeMessageCommand));

    events$.next(new GreetingCountedEvent('e1', 'world', 1, '2024-01-01T00:00:00.000Z', 'w-1'));
    events$.next(new GreetingCountedEvent('e2', 'world', 2, '2024-01-01T00:00:01.000Z', null));
    events$.next({ unrelated: true });

    expect(commands).toEqual([new SendWelcomeMessageCommand('w-1')]);
  });
});

// Stands in for the real handler (which publishes through the outbox relay) to see what the saga
// asks for when driven by the real inbox transaction.
@Injectable()
@CommandHandler(SendWelcomeMessageCommand)
class RecordingSendWelcomeHandler implements ICommandHandler<SendWelcomeMessageCommand> {
  readonly commands: SendWelcomeMessageCommand[] = [];

  async execute(command: SendWelcomeMessageCommand): Promise<boolean> {
    this.commands.push(command);
    return true;
  }
}

describe.each(DIALECTS)('welcoming a new name, from the inbox transaction to the saga, on %s', (dialect) => {
  let test: TestDatabaseLocation;
  let moduleRef: TestingModule;
  let store: ProjectionStore;

  beforeEach(async () => {
    test = await createTestDatabaseLocation(dialect, 'saga');
    store = await ProjectionStore.open(test.location);
    moduleRef = await Test.createTestingModule({
      imports: [CqrsModule.forRoot()],
      providers: [
        { provide: ProjectionStore, useValue: store },
        PlatformMetrics,
        EventHandlerMetrics,
        CountGreetingWhenGreeted,
        { provide: PROJECTORS, useFactory: (p: CountGreetingWhenGreeted) => [p], inject: [CountGreetingWhenGreeted] },
        ApplyIntegrationEventHandler,
        WelcomeNewNameSaga,
        RecordingSendWelcomeHandler,
      ],
    }).compile();
    await moduleRef.init();
  });

  afterEach(async () => {
    await moduleRef.close();
    await store.close();
    await test.dispose();
  });

  const greet = (name: string, eventId?: string) =>
    GreetingGreetedIntegrationEvent.create({ name, message: `Hello, ${name}!`, eventId });

  it('should send exactly one welcome per new name, with an id derived from the greeting', async () => {
    const commandBus = moduleRef.get(CommandBus);
    const apply = (event: IntegrationEvent) => commandBus.execute(new ApplyIntegrationEventCommand(event));
    const first = greet('world');

    expect(await apply(first)).toEqual({ applied: true });
    expect(await apply(first)).toEqual({ applied: false });
    expect(await apply(greet('world'))).toEqual({ applied: true });
    const mesh = greet('mesh');
    await apply(mesh);

    // Sagas run on the EventBus after the command resolved; let them catch up.
    await new Promise((resolve) => setImmediate(resolve));
    const sent = moduleRef.get(RecordingSendWelcomeHandler).commands;
    expect(sent).toEqual([
      new SendWelcomeMessageCommand(welcomeMessageFor(first).messageId),
      new SendWelcomeMessageCommand(welcomeMessageFor(mesh).messageId),
    ]);
    expect(await store.outbox.pending()).toEqual([
      expect.objectContaining({
        messageId: welcomeMessageFor(first).messageId,
        exchange: '',
        routingKey: 'hello',
        type: HELLO_MESSAGE_TYPE,
        body: { text: 'Welcome, world!' },
        causeEventId: first.eventId,
      }),
      expect.objectContaining({ body: { text: 'Welcome, mesh!' } }),
    ]);
    expect((await store.greeting('world'))?.count).toBe(2);
  });
});
