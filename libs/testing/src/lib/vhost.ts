import { randomBytes } from 'node:crypto';
import { managementApi, managementRequest } from './management';

export interface TestVhost {
  /** RABBITMQ_URL with this vhost (URL-encoded). */
  readonly url: string;
  readonly vhost: string;
  /** Deletes the vhost and everything in it. */
  delete(): Promise<void>;
}

/**
 * A fresh vhost on the test broker (`RABBITMQ_URL`, `RABBITMQ_MANAGEMENT_URL`, set by the Jest global
 * setup), with full permissions for the URL's user, so that a spec's queues never meet another's.
 */
export async function createTestVhost(name = 'test'): Promise<TestVhost> {
  const base = process.env['RABBITMQ_URL'];
  if (!base) {
    throw new Error(
      'RABBITMQ_URL is not set: run the tests through Jest (its global setup starts RabbitMQ) or set ' +
        'RABBITMQ_URL and RABBITMQ_MANAGEMENT_URL to a broker with the management plugin',
    );
  }
  const api = managementApi();
  const vhost = `${name}-${randomBytes(4).toString('hex')}`;
  const amqpUrl = new URL(base);
  const user = decodeURIComponent(amqpUrl.username || 'guest');
  const path = encodeURIComponent(vhost);
  await managementRequest(api, 'PUT', `vhosts/${path}`, {});
  await managementRequest(api, 'PUT', `permissions/${path}/${encodeURIComponent(user)}`, {
    configure: '.*',
    write: '.*',
    read: '.*',
  });
  amqpUrl.pathname = `/${path}`;
  return {
    url: amqpUrl.toString(),
    vhost,
    delete: () => managementRequest(api, 'DELETE', `vhosts/${path}`).then(() => undefined),
  };
}
