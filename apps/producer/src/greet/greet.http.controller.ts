import { Body, Controller, HttpCode, HttpStatus, Post } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { ApiBody, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { HelloRequestSchema, HelloRpcReplySchema, type HelloReply } from '@hello/contracts';
import { ApiErrors, requestBodySchema } from '@hello/platform';
import { GreetCommand } from './greet.command';

@ApiTags('greetings')
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
  @ApiOperation({ summary: 'Greet a name: SayHello over `hello.rpc`, answered by the greeter' })
  @ApiBody({ schema: requestBodySchema(HelloRequestSchema) })
  @ApiOkResponse({ description: "The greeter's reply.", standardSchema: HelloRpcReplySchema })
  @ApiErrors({
    400: "The name breaks the contract (the greeter's error reply, naming the field).",
    413: 'The request is too large.',
    503: 'The broker is unreachable.',
    504: 'No reply within PRODUCER_RPC_TIMEOUT_MS.',
  })
  greet(@Body() body: unknown): Promise<HelloReply> {
    const name = typeof body === 'object' && body !== null ? (body as { name?: unknown }).name : undefined;
    return this.commandBus.execute(new GreetCommand(name));
  }
}
