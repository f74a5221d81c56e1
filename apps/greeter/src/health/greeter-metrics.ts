import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { Metrics } from '@hello/platform';
import { GREETER_CONFIG, type GreeterConfig } from '../config/greeter.config';
import { GreeterBroker } from '../messaging/greeter-broker';
import { GreeterRpcServer } from '../messaging/greeter-rpc-server';

/**
 * The greeter's own metrics, beside the platform's RED metrics: the event buffer, the limits its
 * pending count is read against (alerts, dashboards: readiness fails at the high-water mark, calls
 * are refused when the buffer is full), and the requests on `hello.rpc` by outcome.
 */
@Injectable()
export class GreeterMetrics implements OnModuleInit {
  constructor(
    private readonly metrics: Metrics,
    private readonly broker: GreeterBroker,
    private readonly rpc: GreeterRpcServer,
    @Inject(GREETER_CONFIG) private readonly config: GreeterConfig,
  ) {}

  onModuleInit(): void {
    const { metrics, broker, rpc, config } = this;
    metrics.gaugeFrom(
      'greeter_events_pending',
      'greeting.greeted events buffered or waiting for their confirm.',
      () => broker.events.pending,
    );
    metrics.gaugeFrom(
      'greeter_events_high_water',
      'Pending events at which the greeter reports itself unready (GREETER_EVENTS_HIGH_WATER).',
      () => config.eventsHighWater,
    );
    metrics.gaugeFrom(
      'greeter_events_capacity',
      'Pending events the greeter keeps at most before refusing calls (GREETER_EVENTS_BUFFER).',
      () => config.eventsBufferSize,
    );
    metrics.labelledCounterFrom(
      'amqp_rpc_requests_total',
      'AMQP RPC requests on hello.rpc, by outcome (answered, error_reply, repeated, expired, dead_lettered).',
      'outcome',
      () => {
        const stats = rpc.server.stats();
        return {
          answered: stats.answered,
          error_reply: stats.errorReplies,
          repeated: stats.repeated,
          expired: stats.expired,
          dead_lettered: stats.deadLettered,
        };
      },
    );
  }
}
