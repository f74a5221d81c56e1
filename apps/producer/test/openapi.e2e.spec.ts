import * as fs from 'node:fs';
import * as path from 'node:path';
import { createTestVhost, testPlatformConfig, type TestVhost } from '@hello/testing';
import type { ProducerConfig } from '../src/config/producer.config';
import { createProducerApp, type ProducerApp, startProducerApp } from '../src/producer.app';

// The producer serves its OpenAPI document and Swagger UI, the same document `npm run contracts`
// commits to docs/openapi/producer.json; HTTP_DOCS=off serves neither.

const COMMITTED = path.resolve(__dirname, '../../../docs/openapi/producer.json');

describe('the producer’s OpenAPI document over HTTP', () => {
  let vhost: TestVhost;
  const apps: ProducerApp[] = [];

  beforeAll(async () => {
    vhost = await createTestVhost('producer-openapi');
  });

  afterAll(async () => {
    for (const app of apps) await app.close();
    await vhost?.delete();
  });

  async function start(httpDocs: boolean): Promise<string> {
    const config: ProducerConfig = {
      platform: { ...testPlatformConfig(), httpDocs },
      httpPort: 0,
      rabbitmqUrl: vhost.url,
      publishTimeoutMs: 5_000,
      retryAfterSeconds: 1,
      rpcTimeoutMs: 5_000,
    };
    const producer = await startProducerApp(await createProducerApp(config, { logger: false }), config);
    apps.push(producer);
    return `http://127.0.0.1:${producer.httpPort}`;
  }

  it('should serve at /docs/openapi.json the document committed in docs/openapi, and Swagger UI at /docs', async () => {
    const baseUrl = await start(true);
    const served = await fetch(`${baseUrl}/docs/openapi.json`);
    expect(served.status).toBe(200);
    expect(served.headers.get('content-type')).toMatch(/^application\/json/);
    expect(await served.json()).toEqual(JSON.parse(fs.readFileSync(COMMITTED, 'utf8')));
    const ui = await fetch(`${baseUrl}/docs`);
    expect(ui.status).toBe(200);
    expect(await ui.text()).toContain('swagger-ui');
  });

  it('should serve neither with HTTP_DOCS off', async () => {
    const baseUrl = await start(false);
    expect((await fetch(`${baseUrl}/docs/openapi.json`)).status).toBe(404);
    expect((await fetch(`${baseUrl}/docs`)).status).toBe(404);
  });
});
