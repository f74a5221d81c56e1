import { Injectable, type OnModuleInit } from '@nestjs/common';
import { Metrics } from '@hello/platform';
import { ProducerBroker } from '../messaging/producer-broker';

/** The producer's own metrics, beside the platform's RED metrics: its calls to the greeter over `hello.rpc`. */
@Injectable()
export class ProducerMetrics implements OnModuleInit {
  constructor(
    private readonly metrics: Metrics,
    private readonly broker: ProducerBroker,
  ) {}

  onModuleInit(): void {
    const rpc = this.broker.greeterRpc;
    this.metrics.counterFrom(
      'amqp_rpc_late_replies_total',
      'Replies to POST /greetings calls that came after the call had timed out (dropped).',
      () => rpc.lateReplies,
    );
    this.metrics.gaugeFrom(
      'amqp_rpc_calls_in_flight',
      'AMQP RPC calls waiting for their reply.',
      () => rpc.pendingCalls,
    );
  }
}
