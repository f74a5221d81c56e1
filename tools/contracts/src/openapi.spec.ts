import * as fs from 'node:fs';
import * as path from 'node:path';
import { Validator } from '@seriousme/openapi-schema-validator';
import { HTTP_APPS, ROOT } from './documents';

describe.each(HTTP_APPS)('docs/openapi/%s.json', (app) => {
  const document = () => JSON.parse(fs.readFileSync(path.join(ROOT, 'docs/openapi', `${app}.json`), 'utf8'));

  it('should be a valid OpenAPI 3.1 document, per the OpenAPI schema validator', async () => {
    const result = await new Validator().validate(document());
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
    expect(document().openapi).toBe('3.1.0');
  });

  it('should document the platform endpoints every app serves', () => {
    expect(Object.keys(document().paths)).toEqual(
      expect.arrayContaining(['/health/live', '/health/ready', '/metrics']),
    );
  });
});
