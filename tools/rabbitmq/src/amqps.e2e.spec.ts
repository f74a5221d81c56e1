import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as amqp from 'amqplib';
import { amqpSocketOptions } from '@hello/messaging';
import {
  freePort,
  makeTestCertificates,
  spawnApp,
  waitFor,
  type SpawnedApp,
  type TestCertificates,
} from '@hello/testing';
import { canConnect } from '@hello/infra/host';
import { startBroker } from '@hello/infra/rabbitmq';

// A RabbitMQ node of the test's own listening for amqps: with certificates openssl made in the test,
// requiring client certificates (verify_peer, fail_if_no_peer_cert). The four apps, each in its own
// process, reach it with RABBITMQ_CA_FILE / RABBITMQ_CERT_FILE / RABBITMQ_KEY_FILE, verification on.

jest.setTimeout(300_000);

/** The node the launcher started, with the amqps: listener it was asked for. */
interface Broker {
  dir: string;
  tlsPort: number;
  tlsUrl: string;
  ctl(args: string[]): Promise<string>;
  stop(): Promise<void>;
}
const { checkHttp } = require(join(__dirname, '..', '..', 'stack', 'healthcheck.cjs')) as {
  checkHttp(url: string): Promise<string | null>;
};

async function connect(url: string, tls: { ca?: Buffer; cert?: Buffer; key?: Buffer }): Promise<amqp.ChannelModel> {
  return amqp.connect(url, amqpSocketOptions(url, tls));
}

describe('the apps over amqps: to a broker that checks client certificates', () => {
  let certs: TestCertificates;
  let otherCa: TestCertificates;
  let broker: Broker;
  let dataDir: string;
  const apps: SpawnedApp[] = [];
  const ports: Record<string, number> = {};

  beforeAll(async () => {
    certs = makeTestCertificates('hello-mesh');
    otherCa = makeTestCertificates('someone else');
    const started = await startBroker({
      name: `amqps-${process.pid}`,
      dataDir: mkdtempSync(join(tmpdir(), 'hello-amqps-')),
      epmdPort: await freePort(),
      management: false,
      tls: {
        caFile: certs.caFile,
        certFile: certs.serverCertFile,
        keyFile: certs.serverKeyFile,
        requireClientCert: true,
      },
    });
    const { tlsPort, tlsUrl } = started;
    if (tlsPort === undefined || tlsUrl === undefined)
      throw new Error('the broker started without its amqps: listener');
    broker = { ...started, tlsPort, tlsUrl };
    await waitFor(() => canConnect(broker.tlsPort), { timeoutMs: 30_000, message: 'no amqps: listener' });
    dataDir = mkdtempSync(join(tmpdir(), 'hello-amqps-data-'));
    for (const name of ['producer', 'consumer', 'eventHandler', 'tcp', 'greeterHttp', 'greeterGrpc'])
      ports[name] = await freePort();

    const tlsEnv = {
      RABBITMQ_URL: broker.tlsUrl,
      RABBITMQ_CA_FILE: certs.caFile,
      RABBITMQ_CERT_FILE: certs.clientCertFile,
      RABBITMQ_KEY_FILE: certs.clientKeyFile,
    };
    apps.push(
      spawnApp('apps/producer/src/main.ts', { ...tlsEnv, PRODUCER_HTTP_PORT: String(ports['producer']) }),
      spawnApp('apps/consumer/src/main.ts', { ...tlsEnv, CONSUMER_HTTP_PORT: String(ports['consumer']) }),
      spawnApp('apps/event-handler/src/main.ts', {
        ...tlsEnv,
        EVENT_HANDLER_HOST: '127.0.0.1',
        EVENT_HANDLER_HTTP_PORT: String(ports['eventHandler']),
        EVENT_HANDLER_TCP_PORT: String(ports['tcp']),
        EVENT_HANDLER_DATA_DIR: dataDir,
      }),
      spawnApp('apps/greeter/src/main.ts', {
        ...tlsEnv,
        GREETER_GRPC_URL: `127.0.0.1:${ports['greeterGrpc']}`,
        GREETER_HTTP_PORT: String(ports['greeterHttp']),
      }),
    );
    await waitFor(
      async () => {
        const checks = await Promise.all(
          ['producer', 'consumer', 'eventHandler', 'greeterHttp'].map((app) =>
            checkHttp(`http://127.0.0.1:${ports[app]}/health/ready`),
          ),
        );
        return checks.every((c) => c === null);
      },
      { timeoutMs: 120_000, intervalMs: 500, message: 'the apps did not become ready over amqps:' },
    );
  }, 300_000);

  afterAll(async () => {
    await Promise.all(apps.map((app) => app.stop()));
    await broker?.stop();
    if (broker) rmSync(broker.dir, { recursive: true, force: true });
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
    certs?.remove();
    otherCa?.remove();
  });

  it('should have every app connected over TLS, presenting the client certificate', async () => {
    const expected = [
      'consumer',
      'consumer.publisher',
      'event-handler.consumer',
      'event-handler.log',
      // Opened once the projection has caught up with the event log and follows it.
      'event-handler.projection:greetings_by_hour',
      'event-handler.publisher',
      'greeter',
      'producer',
    ];
    const listConnections = async () =>
      (
        await broker.ctl([
          'list_connections',
          'client_properties',
          'ssl',
          'peer_cert_subject',
          '--no-table-headers',
          '--quiet',
        ])
      )
        .trim()
        .split('\n')
        .map((line) => {
          const [properties, ssl, subject] = line.split('\t');
          return { name: /\{"connection_name","([^"]+)"\}/.exec(properties)?.[1], ssl, subject };
        });
    let connections = await listConnections();
    await waitFor(
      async () => {
        connections = await listConnections();
        return connections.length >= expected.length;
      },
      { timeoutMs: 15_000, message: `${expected.length} connections` },
    );
    expect(connections.map((c) => c.name).sort()).toEqual(expected);
    for (const connection of connections)
      expect(connection).toMatchObject({ ssl: 'true', subject: 'CN=hello-mesh client' });
  });

  it('should carry a message producer → consumer → event-handler over amqps:', async () => {
    const response = await fetch(`http://127.0.0.1:${ports['producer']}/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ text: 'over TLS' }),
    });
    expect(response.status).toBe(202);
    await waitFor(
      async () => {
        const stats = (await (await fetch(`http://127.0.0.1:${ports['eventHandler']}/stats`)).json()) as {
          messages: { handled: number };
        };
        return stats.messages.handled === 1;
      },
      { timeoutMs: 30_000, message: 'the event-handler did not count the message' },
    );
  });

  it('should fail to connect without the CA (the broker certificate is not trusted)', async () => {
    const attempt = connect(broker.tlsUrl, {
      cert: certs.read(certs.clientCertFile),
      key: certs.read(certs.clientKeyFile),
    });
    await expect(attempt).rejects.toThrow(/self[- ]signed|unable to (verify|get local issuer)|certificate/i);
  });

  it('should fail to connect trusting another CA', async () => {
    const attempt = connect(broker.tlsUrl, {
      ca: otherCa.read(otherCa.caFile),
      cert: certs.read(certs.clientCertFile),
      key: certs.read(certs.clientKeyFile),
    });
    await expect(attempt).rejects.toThrow(/certificate/i);
  });

  it('should be refused by the broker without a client certificate', async () => {
    const attempt = connect(broker.tlsUrl, { ca: certs.read(certs.caFile) }).then(async (connection) => {
      // TLS 1.3 may finish the client's side of the handshake before the broker's verdict arrives.
      await connection.createChannel();
      await connection.close();
    });
    await expect(attempt).rejects.toThrow();
  });

  it('should be refused by the broker with a client certificate another CA signed', async () => {
    const attempt = connect(broker.tlsUrl, {
      ca: certs.read(certs.caFile),
      cert: otherCa.read(otherCa.clientCertFile),
      key: otherCa.read(otherCa.clientKeyFile),
    }).then(async (connection) => {
      await connection.createChannel();
      await connection.close();
    });
    await expect(attempt).rejects.toThrow();
  });

  it('should connect with the CA and a client certificate it signed', async () => {
    const connection = await connect(broker.tlsUrl, {
      ca: certs.read(certs.caFile),
      cert: certs.read(certs.clientCertFile),
      key: certs.read(certs.clientKeyFile),
    });
    const channel = await connection.createConfirmChannel();
    await channel.checkQueue('hello');
    await connection.close();
  });
});
