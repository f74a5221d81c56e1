import { BaseRpcContext } from '@nestjs/microservices';
import type { ConsumeMessage } from 'amqplib';
import { MessageHeaders } from '@hello/contracts';

/** What a handler learns about the AMQP message it handles (second argument of its method). */
export class AmqpContext extends BaseRpcContext<[ConsumeMessage, string]> {
  constructor(
    message: ConsumeMessage,
    /** The pattern the message was dispatched to (its AMQP `type`, or the server's default pattern). */
    pattern: string,
    /** The message id (AMQP `messageId`; assigned by the server when the publisher set none). */
    readonly messageId: string,
  ) {
    super([message, pattern]);
  }

  getMessage(): ConsumeMessage {
    return this.args[0];
  }

  getPattern(): string {
    return this.args[1];
  }

  get type(): string | undefined {
    return this.getMessage().properties.type;
  }

  get correlationId(): string | undefined {
    return this.getMessage().properties.correlationId;
  }

  get headers(): Readonly<Record<string, unknown>> {
    return this.getMessage().properties.headers ?? {};
  }

  get traceparent(): string | undefined {
    const value = this.headers[MessageHeaders.traceparent];
    return typeof value === 'string' ? value : undefined;
  }

  /** Which try of the handler this is: 1 for the first, 2 after one retry… (`MessageHeaders.attempts` + 1). */
  get attempt(): number {
    return attemptOf(this.getMessage());
  }

  /** The broker delivered this message before (to a consumer that did not ack it). */
  get redelivered(): boolean {
    return this.getMessage().fields.redelivered;
  }
}

/** Tries so far are in `MessageHeaders.attempts`; this delivery is the next one. */
export function attemptOf(message: ConsumeMessage): number {
  const previous = Number(message.properties.headers?.[MessageHeaders.attempts] ?? 0);
  return (Number.isInteger(previous) && previous > 0 ? previous : 0) + 1;
}
