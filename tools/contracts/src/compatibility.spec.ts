import * as fs from 'node:fs';
import * as path from 'node:path';
import { GreetingGreetedV1Schema } from '@hello/contracts';
import { parse } from 'yaml';
import { z } from 'zod';
import { jsonSchemaOf } from './asyncapi';
import { asyncApiIncompatibilities, schemaIncompatibilities } from './compatibility';
import { ROOT } from './documents';

const v1 = {
  type: 'object',
  properties: {
    eventId: { type: 'string', format: 'uuid' },
    name: { type: 'string', minLength: 1, maxLength: 256 },
    nickname: { type: 'string' },
  },
  required: ['eventId', 'name'],
};

const withProperties = (properties: Record<string, unknown>, required = v1.required) => ({
  ...v1,
  properties: { ...v1.properties, ...properties },
  required,
});

describe('schemaIncompatibilities', () => {
  it('should find nothing when nothing changed', () => {
    expect(schemaIncompatibilities(v1, structuredClone(v1))).toEqual([]);
  });

  it('should allow adding an optional field', () => {
    expect(schemaIncompatibilities(v1, withProperties({ greeting: { type: 'string' } }))).toEqual([]);
  });

  it('should allow widening a limit', () => {
    expect(
      schemaIncompatibilities(v1, withProperties({ name: { type: 'string', minLength: 1, maxLength: 512 } })),
    ).toEqual([]);
  });

  it('should call removing a field breaking', () => {
    const properties: Record<string, unknown> = { ...v1.properties };
    delete properties['nickname'];
    expect(schemaIncompatibilities(v1, { ...v1, properties })).toEqual(['$.nickname: field removed']);
  });

  it.each([
    ['a type changed', { name: { type: 'integer' } }, '$.name: type narrowed from ["string"] to ["integer"]'],
    [
      'a limit tightened',
      { name: { type: 'string', minLength: 1, maxLength: 100 } },
      '$.name: maxLength tightened from 256 to 100',
    ],
    [
      'a pattern added',
      { nickname: { type: 'string', pattern: '^[a-z]+$' } },
      '$.nickname: pattern added ("^[a-z]+$")',
    ],
    [
      'an enum imposed',
      { nickname: { type: 'string', enum: ['a'] } },
      '$.nickname: enum narrowed, no longer allows ["(any)"]',
    ],
  ])('should call narrowing a type breaking: %s', (_, properties, issue) => {
    expect(schemaIncompatibilities(v1, withProperties(properties))).toEqual([issue]);
  });

  it('should call making an optional field required breaking, and adding a required one', () => {
    expect(schemaIncompatibilities(v1, withProperties({}, [...v1.required, 'nickname']))).toEqual([
      '$.nickname: optional field made required',
    ]);
    expect(
      schemaIncompatibilities(v1, withProperties({ greeting: { type: 'string' } }, [...v1.required, 'greeting'])),
    ).toEqual(['$.greeting: required field added']);
  });
});

describe('the evolution of a real schema (docs/contracts.md)', () => {
  const v1 = jsonSchemaOf(GreetingGreetedV1Schema);

  it('should let greeting.greeted.v1 gain an optional field', () => {
    expect(
      schemaIncompatibilities(v1, jsonSchemaOf(GreetingGreetedV1Schema.extend({ locale: z.string().optional() }))),
    ).toEqual([]);
  });

  it('should call the same field required a breaking change of v1 (so it is a v2)', () => {
    expect(schemaIncompatibilities(v1, jsonSchemaOf(GreetingGreetedV1Schema.extend({ locale: z.string() })))).toEqual([
      '$.locale: required field added',
    ]);
  });
});

describe('docs/asyncapi.yaml against the baseline (contracts/baseline/asyncapi.yaml)', () => {
  const read = (file: string) => parse(fs.readFileSync(path.join(ROOT, file), 'utf8'));

  it('should break no message of the baseline', () => {
    expect(asyncApiIncompatibilities(read('contracts/baseline/asyncapi.yaml'), read('docs/asyncapi.yaml'))).toEqual([]);
  });

  it('should say which message and field a change breaks', () => {
    const current = read('docs/asyncapi.yaml');
    delete current.components.messages.GreetingGreetedV1.payload.properties.message;
    delete current.components.messages.LineReceivedV1;
    expect(asyncApiIncompatibilities(read('contracts/baseline/asyncapi.yaml'), current)).toEqual([
      'GreetingGreetedV1.payload.message: field removed',
      'LineReceivedV1: message removed',
    ]);
  });
});
