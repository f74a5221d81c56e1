import { Controller } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { EventPattern, Payload } from '@nestjs/microservices';
import { LINE_RECEIVED_PATTERN, LINE_TRANSPORT, type ReceivedLine } from './line-server';
import { PublishLineReceivedCommand } from './publish-line-received.command';

@Controller()
export class LineEchoTcpController {
  constructor(private readonly commandBus: CommandBus) {}

  @EventPattern(LINE_RECEIVED_PATTERN, LINE_TRANSPORT)
  lineReceived(@Payload() received: ReceivedLine): Promise<void> {
    return this.commandBus.execute(
      new PublishLineReceivedCommand(received.line, received.remoteAddress, received.receivedAt),
    );
  }
}
