import type { AmqpConnection, AmqpServer, ConfirmedPublisher } from '@hello/messaging';
import type { ReadinessCheck } from './readiness';

/** Ready while the connection to the broker is up. */
export function brokerCheck(connection: AmqpConnection): ReadinessCheck {
  return {
    name: 'broker',
    check: () => {
      if (!connection.isConnected()) return { up: false, reason: 'not connected to RabbitMQ' };
      // A resource alarm (memory, disk): the broker holds every publish on this connection.
      const blocked = connection.blocked;
      return blocked ? { up: false, reason: `blocked: ${blocked}` } : { up: true };
    },
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
    check: () => {
      if (!server.isConsuming()) return { up: false, reason: `no consumer attached to '${server.queue}'` };
      const blocked = server.blocked;
      return blocked
        ? { up: false, reason: `blocked: ${blocked}`, inFlight: server.inFlightCount }
        : { up: true, inFlight: server.inFlightCount };
    },
  };
}
