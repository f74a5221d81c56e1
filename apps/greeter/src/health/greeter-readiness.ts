import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { Topology } from '@hello/contracts';
import { Readiness } from '@hello/platform';
import { GREETER_CONFIG, type GreeterConfig } from '../config/greeter.config';
import { GreeterBroker } from '../messaging/greeter-broker';
import { GreeterRpcServer } from '../messaging/greeter-rpc-server';

/**
 * What `/health/ready` and grpc.health.v1 report for the greeter. It serves through a broker outage
 * (its events wait in the buffer), so the broker being away alone does not make it unready; a backlog
 * above the high-water mark does (then grpc.health.v1 says NOT_SERVING too, and load balancers move
 * traffic away before calls are refused).
 */
@Injectable()
export class GreeterReadiness implements OnModuleInit {
  constructor(
    private readonly readiness: Readiness,
    private readonly broker: GreeterBroker,
    private readonly rpc: GreeterRpcServer,
    @Inject(GREETER_CONFIG) private readonly config: GreeterConfig,
  ) {}

  onModuleInit(): void {
    const { broker, rpc, config } = this;
    this.readiness.register(
      {
        name: 'events',
        check: () => {
          const connected = broker.connection.isConnected() && broker.publisher.isChannelOpen();
          const pending = broker.events.pending;
          return broker.eventsBacklogged
            ? {
                up: false,
                connected,
                pending,
                reason: `${pending} events wait for the broker (high-water mark ${config.eventsHighWater})`,
              }
            : { up: true, connected, pending };
        },
      },
      // Reported, but not a reason to be unready: while the broker is away no request reaches
      // hello.rpc anyway.
      {
        name: `consumer:${Topology.helloRpcQueue}`,
        check: () => ({ up: true, attached: rpc.server.isConsuming() }),
      },
    );
  }
}
