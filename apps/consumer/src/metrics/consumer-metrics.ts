import { Injectable } from '@nestjs/common';
import { AmqpServer, SettledDelivery } from '@hello/messaging';

export interface ConsumerCounters {
  /** Messages whose handler succeeded. */
  readonly handled: number;
  /** Tries that failed and were sent to a retry delay queue. */
  readonly retried: number;
  /** Messages sent to the dead-letter queue (invalid, unknown type, or out of tries). */
  readonly deadLettered: number;
  /** Deliveries acked without handling because the message id was handled before. */
  readonly duplicates: number;
}

/** Counters since start-up; fed by the AMQP server's settled deliveries and the EventBus. */
@Injectable()
export class ConsumerMetrics {
  private counters = { handled: 0, retried: 0, deadLettered: 0, duplicates: 0 };

  constructor(server: AmqpServer) {
    server.on('settled', (delivery: SettledDelivery) => this.record(delivery));
  }

  countHandled(): void {
    this.counters.handled++;
  }

  snapshot(): ConsumerCounters {
    return { ...this.counters };
  }

  private record(delivery: SettledDelivery): void {
    if (delivery.action === 'retry' && delivery.copied) this.counters.retried++;
    else if (delivery.action === 'dead-letter' && delivery.copied)
      this.counters.deadLettered++;
    else if (delivery.outcome === 'duplicate') this.counters.duplicates++;
  }
}
