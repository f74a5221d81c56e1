import { credentials, status, type ChannelCredentials } from '@grpc/grpc-js';
import { makeTestCertificates, type TestCertificates } from '@hello/testing';
import { loadGreeterConfig } from '../src/config/greeter.config';
import type { GreeterApp } from '../src/greeter.app';
import {
  failureOf,
  greeterClient,
  healthClient,
  outcomeOf,
  reflectionClient,
  sayHello,
  startTestGreeter,
  unary,
  type DynamicClient,
} from './support/greeter-harness';

// What `grpcurl -cacert ca.pem [-cert client.pem -key client.key] localhost:PORT ...` does: the
// server's certificate is checked against the CA and the name "localhost".
describe('gRPC over TLS, with certificates made by openssl', () => {
  let certs: TestCertificates;
  let otherCa: TestCertificates;
  const clients: DynamicClient[] = [];

  beforeAll(() => {
    certs = makeTestCertificates('hello-mesh');
    otherCa = makeTestCertificates('someone else');
  });

  afterAll(() => {
    for (const client of clients) client.close();
    certs?.remove();
    otherCa?.remove();
  });

  const deadline = () => ({ deadline: Date.now() + 5_000 });
  const trusting = (ca: TestCertificates, client?: TestCertificates) =>
    credentials.createSsl(
      ca.read(ca.caFile),
      client ? client.read(client.clientKeyFile) : null,
      client ? client.read(client.clientCertFile) : null,
    );
  const greeterAt = (url: string, channel: ChannelCredentials) => {
    const client = greeterClient(url, channel);
    clients.push(client);
    return client;
  };
  const localhost = (greeter: GreeterApp) => `localhost:${greeter.url.split(':').pop()}`;

  describe('server TLS (GREETER_TLS_CERT_FILE, GREETER_TLS_KEY_FILE)', () => {
    let greeter: GreeterApp;

    beforeAll(async () => {
      const { grpcTls } = loadGreeterConfig({
        GREETER_TLS_CERT_FILE: certs.serverCertFile,
        GREETER_TLS_KEY_FILE: certs.serverKeyFile,
      });
      expect(grpcTls?.clientCa).toBeUndefined();
      greeter = await startTestGreeter({ grpcTls });
    });

    afterAll(async () => {
      await greeter?.shutdown();
    });

    it('should greet a client that trusts the CA', async () => {
      const client = greeterAt(localhost(greeter), trusting(certs));
      await expect(sayHello(client, { name: 'Ada' }, deadline())).resolves.toEqual({ message: 'Hello, Ada!' });
    });

    it('should serve health and reflection over the same TLS port', async () => {
      const health = healthClient(localhost(greeter), trusting(certs));
      clients.push(health);
      await expect(unary(health, 'Check', { service: '' }, deadline())).resolves.toEqual({ status: 'SERVING' });

      const reflection = reflectionClient(localhost(greeter), 'v1', trusting(certs));
      clients.push(reflection);
      const call = reflection['ServerReflectionInfo']();
      const outcome = outcomeOf<{ list_services_response?: { service: { name: string }[] } }>(call);
      call.write({ list_services: '' });
      call.end();
      const { messages, status: final } = await outcome;
      expect(final.code).toBe(status.OK);
      expect(messages[0].list_services_response?.service.map((s: { name: string }) => s.name)).toContain(
        'helloworld.Greeter',
      );
    });

    it('should refuse a plaintext client', async () => {
      const client = greeterAt(localhost(greeter), credentials.createInsecure());
      const error = await failureOf(sayHello(client, { name: 'Plain' }, deadline()));
      expect(error.code).toBe(status.UNAVAILABLE);
    });

    it('should fail a client that trusts another CA, on the certificate check', async () => {
      const client = greeterAt(localhost(greeter), trusting(otherCa));
      const error = await failureOf(sayHello(client, { name: 'Mallory' }, deadline()));
      expect(error.code).toBe(status.UNAVAILABLE);
      expect(error.details).toMatch(/certificate/i);
    });

    it('should fail a client that checks for another name', async () => {
      const renamed = greeterClient(localhost(greeter), trusting(certs), {
        'grpc.ssl_target_name_override': 'greeter.example.com',
      });
      clients.push(renamed);
      const error = await failureOf(sayHello(renamed, { name: 'Elsewhere' }, deadline()));
      expect(error.code).toBe(status.UNAVAILABLE);
      expect(error.details).toMatch(/greeter\.example\.com|altnames|Hostname/i);
    });
  });

  describe('mutual TLS (GREETER_TLS_CLIENT_CA_FILE)', () => {
    let greeter: GreeterApp;

    beforeAll(async () => {
      const { grpcTls } = loadGreeterConfig({
        GREETER_TLS_CERT_FILE: certs.serverCertFile,
        GREETER_TLS_KEY_FILE: certs.serverKeyFile,
        GREETER_TLS_CLIENT_CA_FILE: certs.caFile,
      });
      expect(grpcTls?.clientCa).toBeDefined();
      greeter = await startTestGreeter({ grpcTls });
    });

    afterAll(async () => {
      await greeter?.shutdown();
    });

    it('should greet a client presenting a certificate the CA signed', async () => {
      const client = greeterAt(localhost(greeter), trusting(certs, certs));
      await expect(sayHello(client, { name: 'Grace' }, deadline())).resolves.toEqual({ message: 'Hello, Grace!' });
    });

    it('should refuse a client without a certificate', async () => {
      const client = greeterAt(localhost(greeter), trusting(certs));
      const error = await failureOf(sayHello(client, { name: 'Anonymous' }, deadline()));
      expect(error.code).toBe(status.UNAVAILABLE);
    });

    it('should refuse a client whose certificate another CA signed', async () => {
      const client = greeterAt(localhost(greeter), trusting(certs, otherCa));
      const error = await failureOf(sayHello(client, { name: 'Forged' }, deadline()));
      expect(error.code).toBe(status.UNAVAILABLE);
    });

    it('should refuse a plaintext client', async () => {
      const client = greeterAt(localhost(greeter), credentials.createInsecure());
      const error = await failureOf(sayHello(client, { name: 'Plain' }, deadline()));
      expect(error.code).toBe(status.UNAVAILABLE);
    });
  });
});
