import type { AmqpConnection, AmqpServer, ConfirmedPublisher } from '@hello/messaging';
import type { ReadinessCheck } from './readiness';

/** Ready while the connection to the broker is up. */
export function brokerCheck(connection: AmqpConnection): ReadinessCheck {
  return {
    name: 'broker',
    check: () => (connection.isConnected() ? { up: true } : { up: false, reason: 'not connected to RabbitMQ' }),
  };
}

/** Ready while the publisher's confirm channel is open (set up, topology declared). */
export function publisherCheck(name: string, publisher: ConfirmedPublisher): ReadinessCheck {
  return {
    name: `publisher:${name}`,
    check: () => (publisher.isChannelOpen() ? { up: true } : { up: false, reason: 'confirm channel not open' }),
  };
}

/** Ready while the server has a consumer attached to its queue. */
export function consumerCheck(server: AmqpServer): ReadinessCheck {
  return {
    name: `consumer:${server.queue}`,
    check: () =>
      server.isConsuming()
        ? { up: true, inFlight: server.inFlightCount }
        : { up: false, reason: `no consumer attached to '${server.queue}'` },
  };
}
