import { AmqpPattern } from '@hello/messaging';
import { Controller, type Type } from '@nestjs/common';
import { Command, CommandBus } from '@nestjs/cqrs';
import { Payload } from '@nestjs/microservices';

/** A message contract: its AMQP `type` and the decoder that validates a body against it. */
export interface AmqpContract<T> {
  readonly type: string;
  parse(payload: unknown): T;
}

/**
 * The base of an AMQP adapter that turns each message of `contract` into `command(message)` on the
 * CommandBus. A body that breaks the contract never gets to the command: the decoder's
 * ContractViolation dead-letters it. The handler resolves once the command has, so AmqpServer acks
 * only after the command's work is done (and retries when it throws).
 */
export function AmqpCommandController<T>(
  contract: AmqpContract<T>,
  command: (message: T) => Command<unknown>,
): Type<{ readonly commandBus: CommandBus }> {
  @Controller()
  class CommandController {
    constructor(readonly commandBus: CommandBus) {}

    @AmqpPattern(contract.type, { decode: contract.parse })
    async handle(@Payload() message: T): Promise<void> {
      await this.commandBus.execute(command(message));
    }
  }
  return CommandController;
}
