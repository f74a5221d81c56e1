import { Body, Controller, Headers, HttpCode, HttpStatus, Post } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { ApiAcceptedResponse, ApiBody, ApiHeader, ApiOperation, ApiTags } from '@nestjs/swagger';
import { HelloMessageSchema, parseHelloMessage } from '@hello/contracts';
import { ApiErrors, requestBodySchema } from '@hello/platform';
import { z } from 'zod';
import { PublishMessageCommand } from './publish-message.command';

const PublishedSchema = z
  .object({ id: z.string().meta({ description: 'The AMQP messageId of the published message.' }) })
  .meta({ title: 'Published' });

@ApiTags('messages')
@Controller('messages')
export class PublishMessageHttpController {
  constructor(private readonly commandBus: CommandBus) {}

  /**
   * 202 with the message id once the broker has confirmed the message; 400/413 for a bad body
   * (ContractViolation), 503 when the broker does not confirm in time (see ProducerHttpErrorFilter).
   */
  @Post()
  @HttpCode(HttpStatus.ACCEPTED)
  @ApiOperation({ summary: 'Send a hello message to the `hello` queue, confirmed by the broker' })
  @ApiBody({ schema: requestBodySchema(HelloMessageSchema) })
  @ApiHeader({ name: 'x-correlation-id', required: false, description: 'Carried as the AMQP correlationId.' })
  @ApiAcceptedResponse({ description: 'The broker confirmed the message.', standardSchema: PublishedSchema })
  @ApiErrors({
    400: 'The body breaks the hello.message.v1 contract (the field is named).',
    413: 'The text is longer than 64 KiB.',
    503: 'The broker did not confirm in time (Retry-After).',
  })
  publish(
    @Body() body: unknown,
    @Headers('x-correlation-id') correlationId?: string,
  ): Promise<z.infer<typeof PublishedSchema>> {
    const { text } = parseHelloMessage(body);
    return this.commandBus.execute(new PublishMessageCommand(text, correlationId || undefined));
  }
}
