import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import {
  ContractViolation,
  MessageHeaders,
  helloRpcRequestOf,
  Topology,
  type HelloRpcErrorReply,
} from '@hello/contracts';
import { AmqpRpcServer, type AmqpRpcReply, type AmqpRpcRequest } from '@hello/messaging';
import { Metrics, Readiness } from '@hello/platform';
import { Counter } from 'prom-client';
import { GREETER_CONFIG, type GreeterConfig } from '../config/greeter.config';
import { GreeterBroker } from '../messaging/greeter-broker';
import { INTERNAL_ERROR_STATUS, statusName, statusOfError } from '../shared/error-status';
import { SayHelloCommand } from './say-hello.command';

/** A request with less time than this left before its caller's deadline is not started. */
export const MIN_TIME_LEFT_MS = 20;

/**
 * SayHello over RabbitMQ request/reply on `hello.rpc`: maps each request to the same SayHelloCommand
 * the gRPC transport sends, and its outcome to a reply; errors become error replies with the status
 * the gRPC transport gives them (see shared/error-status). Starts once every handler is registered,
 * on the greeter's broker connection; stops taking requests and answers those in flight first at
 * shutdown, before the pending integration events are flushed.
 */
@Injectable()
export class SayHelloAmqpController implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(SayHelloAmqpController.name);
  readonly server: AmqpRpcServer;

  constructor(
    private readonly commandBus: CommandBus,
    broker: GreeterBroker,
    @Inject(GREETER_CONFIG) private readonly config: GreeterConfig,
    readiness: Readiness,
    metrics: Metrics,
  ) {
    this.server = new AmqpRpcServer({
      connection: broker.connection,
      queue: Topology.helloRpcQueue,
      prefetch: config.rpcPrefetch,
      appId: 'greeter',
      minTimeLeftMs: MIN_TIME_LEFT_MS,
      drainTimeoutMs: config.shutdownGraceMs,
    });
    const server = this.server;
    // Reported, but not a reason to be unready: the greeter serves gRPC through a broker outage, and
    // while the broker is away no request reaches hello.rpc anyway.
    readiness.register({
      name: `consumer:${Topology.helloRpcQueue}`,
      check: () => ({ up: true, attached: server.isConsuming() }),
    });
    new Counter({
      name: 'amqp_rpc_requests_total',
      help: 'AMQP RPC requests on hello.rpc, by outcome (answered, error_reply, repeated, expired, dead_lettered).',
      labelNames: ['outcome'],
      registers: [metrics.registry],
      collect() {
        const stats = server.stats() as unknown as Record<string, number>;
        this.reset();
        for (const [key, outcome] of [
          ['answered', 'answered'],
          ['errorReplies', 'error_reply'],
          ['repeated', 'repeated'],
          ['expired', 'expired'],
          ['deadLettered', 'dead_lettered'],
        ] as const) {
          if (typeof stats[key] === 'number') this.inc({ outcome }, stats[key]);
        }
      },
    });
  }

  onApplicationBootstrap(): void {
    this.server.serve((request) => this.sayHello(request));
  }

  async onModuleDestroy(): Promise<void> {
    await this.server.close();
  }

  private async sayHello(request: AmqpRpcRequest): Promise<AmqpRpcReply> {
    try {
      const size = request.message.content.length;
      // The same limit, code and wording as the gRPC transport's receive limit.
      if (size > this.config.maxReceiveMessageBytes) {
        throw new ContractViolation(
          'message-too-large',
          `Received message larger than max (${size} vs ${this.config.maxReceiveMessageBytes})`,
        );
      }
      const { name } = helloRpcRequestOf(request.body());
      const reply = await this.commandBus.execute(new SayHelloCommand(name as string, request.requestId));
      return { body: reply };
    } catch (error) {
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
}
