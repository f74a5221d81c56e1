import { Injectable, type OnModuleInit } from '@nestjs/common';
import { AmqpServer } from '@hello/messaging';
import { brokerCheck, consumerCheck, publisherCheck, Readiness } from '@hello/platform';
import { ConsumerBroker } from '../messaging/consumer-broker';

/**
 * Ready while the `hello` queue has its consumer and the publishing connection and its confirm
 * channel (for the integration events) are up.
 */
@Injectable()
export class ConsumerReadiness implements OnModuleInit {
  constructor(
    private readonly readiness: Readiness,
    private readonly server: AmqpServer,
    private readonly broker: ConsumerBroker,
  ) {}

  onModuleInit(): void {
    this.readiness.register(
      consumerCheck(this.server),
      brokerCheck(this.broker.connection),
      publisherCheck('consumer', this.broker.publisher),
    );
  }
}
