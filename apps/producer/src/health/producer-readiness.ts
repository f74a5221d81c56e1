import { Injectable, type OnModuleInit } from '@nestjs/common';
import { brokerCheck, publisherCheck, Readiness } from '@hello/platform';
import { ProducerBroker } from '../messaging/producer-broker';

/** Ready while the connection to the broker and the confirm channel that publishes to `hello` are up. */
@Injectable()
export class ProducerReadiness implements OnModuleInit {
  constructor(
    private readonly readiness: Readiness,
    private readonly broker: ProducerBroker,
  ) {}

  onModuleInit(): void {
    this.readiness.register(brokerCheck(this.broker.connection), publisherCheck('producer', this.broker.publisher));
  }
}
