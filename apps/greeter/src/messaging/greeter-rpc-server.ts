import { Inject, Injectable, Logger, type OnModuleDestroy } from '@nestjs/common';
import { ContractViolation, MessageHeaders, Topology, type HelloRpcErrorReply } from '@hello/contracts';
import { AmqpRpcServer, type AmqpRpcReply, type AmqpRpcRequest } from '@hello/messaging';
import { GREETER_CONFIG, type GreeterConfig } from '../config/greeter.config';
import { INTERNAL_ERROR_STATUS, statusName, statusOfError } from '../shared/error-status';
import { GreeterBroker } from './greeter-broker';

/** A request with less time than this left before its caller's deadline is not started. */
export const MIN_TIME_LEFT_MS = 20;

/** Answers one request: resolves to the reply's body; a thrown error becomes an error reply. */
export type HelloRpcHandler = (request: AmqpRpcRequest) => Promise<object>;

/**
 * The greeter's side of RabbitMQ request/reply on `hello.rpc`, on the greeter's broker connection.
 * It holds requests to the gRPC transport's receive limit and turns a handler's errors into error
 * replies with the status the gRPC transport gives them (see shared/error-status). At shutdown it
 * stops taking requests and answers those in flight first, before the pending integration events
 * are flushed.
 */
@Injectable()
export class GreeterRpcServer implements OnModuleDestroy {
  private readonly logger = new Logger(GreeterRpcServer.name);
  readonly server: AmqpRpcServer;

  constructor(
    @Inject(GREETER_CONFIG) private readonly config: GreeterConfig,
    broker: GreeterBroker,
  ) {
    this.server = new AmqpRpcServer({
      connection: broker.connection,
      queue: Topology.helloRpcQueue,
      prefetch: config.rpcPrefetch,
      appId: 'greeter',
      minTimeLeftMs: MIN_TIME_LEFT_MS,
      drainTimeoutMs: config.shutdownGraceMs,
    });
  }

  /** Starts consuming, each request answered by `handler`; call once every handler it dispatches to exists. */
  serve(handler: HelloRpcHandler): void {
    this.server.serve(async (request) => {
      try {
        this.checkSize(request);
        return { body: await handler(request) };
      } catch (error) {
        return this.errorReply(error);
      }
    });
  }

  async onModuleDestroy(): Promise<void> {
    await this.server.close();
  }

  /** The same limit, code and wording as the gRPC transport's receive limit. */
  private checkSize(request: AmqpRpcRequest): void {
    const size = request.message.content.length;
    if (size > this.config.maxReceiveMessageBytes) {
      throw new ContractViolation(
        'message-too-large',
        `Received message larger than max (${size} vs ${this.config.maxReceiveMessageBytes})`,
      );
    }
  }

  private errorReply(error: unknown): AmqpRpcReply {
    const known = statusOfError(error);
    if (!known) {
      const failure = error instanceof Error ? error : new Error(String(error));
      this.logger.error(`unexpected error in ${Topology.helloRpcQueue} SayHello: ${failure.message}`, failure.stack);
    }
    const { code, details } = known ?? INTERNAL_ERROR_STATUS;
    const body: HelloRpcErrorReply = {
      error: { code: statusName(code) as HelloRpcErrorReply['error']['code'], message: details },
    };
    return { body, headers: { [MessageHeaders.errorCode]: body.error.code } };
  }
}
