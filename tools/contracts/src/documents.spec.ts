import * as fs from 'node:fs';
import * as path from 'node:path';
import { DiagnosticSeverity, Parser } from '@asyncapi/parser';
import { documents, ROOT } from './documents';

describe('the generated interface documents', () => {
  it('should each be what the code gives (else: npm run contracts, and commit them)', async () => {
    const generated = await documents();
    expect(Object.keys(generated)).toEqual(
      expect.arrayContaining(['docs/asyncapi.yaml', 'docs/openapi/producer.json']),
    );
    for (const [file, text] of Object.entries(generated)) {
      const committed = fs.existsSync(path.join(ROOT, file)) ? fs.readFileSync(path.join(ROOT, file), 'utf8') : '';
      expect({ file, text: committed }).toEqual({ file, text });
    }
  });
});

describe('docs/asyncapi.yaml', () => {
  const file = path.join(ROOT, 'docs/asyncapi.yaml');

  it('should be a valid AsyncAPI 3.0 document, per the AsyncAPI parser', async () => {
    const { document, diagnostics } = await new Parser().parse(fs.readFileSync(file, 'utf8'));
    const errors = diagnostics.filter((d) => d.severity === DiagnosticSeverity.Error);
    expect(errors.map((d) => `${d.path.join('.')}: ${d.message}`)).toEqual([]);
    expect(document?.version()).toBe('3.0.0');
    const channels =
      document
        ?.channels()
        .all()
        .map((c) => c.address()) ?? [];
    expect(channels).toEqual(
      expect.arrayContaining([
        'hello',
        'hello.rpc',
        'greeting.greeted',
        'message.handled',
        'line.received',
        'hello.dead',
        'hello.rpc.dead',
        'event-handler.events.dead',
        'hello.retry.1',
      ]),
    );
  });
});
