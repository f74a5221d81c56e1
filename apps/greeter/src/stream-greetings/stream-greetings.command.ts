import { Command } from '@nestjs/cqrs';
import type { HelloReply } from '@hello/contracts';
import type { Observable } from 'rxjs';

/** Greet one name several times over a short while (not yet validated). */
export class StreamGreetingsCommand extends Command<Observable<HelloReply>> {
  constructor(readonly name: string) {
    super();
  }
}
