import { Body, Controller, HttpCode, HttpStatus, Post } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import type { HelloReply } from '@hello/contracts';
import { GreetCommand } from './greet.command';

@Controller('greetings')
export class GreetHttpController {
  constructor(private readonly commandBus: CommandBus) {}

  /**
   * 200 with the greeter's reply; 400 (413) with the message of its error reply for a bad name (too
   * large a request), 504 when no reply came within PRODUCER_RPC_TIMEOUT_MS, 503 when the broker is
   * unreachable (see ProducerHttpErrorFilter).
   */
  @Post()
  @HttpCode(HttpStatus.OK)
  greet(@Body() body: unknown): Promise<HelloReply> {
    const name = typeof body === 'object' && body !== null ? (body as { name?: unknown }).name : undefined;
    return this.commandBus.execute(new GreetCommand(name));
  }
}
