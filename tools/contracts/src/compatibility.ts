/**
 * Backward compatibility of the AMQP contracts: every message of a baseline AsyncAPI document
 * against the current one. A change is breaking when a message that was valid may no longer be, or a
 * reader may miss a field it read: a message or a field removed, a type narrowed (a type, an enum
 * value or a format taken away, a limit tightened, a pattern added or changed), a field made
 * required or a required field added. Adding an optional field, or widening, is not.
 */

type Schema = Record<string, unknown>;

const asSchema = (value: unknown): Schema | undefined =>
  typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Schema) : undefined;

const typesOf = (schema: Schema): string[] | undefined =>
  schema['type'] === undefined ? undefined : ([] as string[]).concat(schema['type'] as string | string[]);

const UPPER_BOUNDS = ['maxLength', 'maximum', 'exclusiveMaximum', 'maxItems', 'maxProperties'] as const;
const LOWER_BOUNDS = ['minLength', 'minimum', 'exclusiveMinimum', 'minItems', 'minProperties'] as const;
const EXACT = ['pattern', 'format', 'const'] as const;

/** What in `after` breaks a sender or reader of `before`, one line each, with the JSON path. */
export function schemaIncompatibilities(before: unknown, after: unknown, at = '$'): string[] {
  const was = asSchema(before);
  const is = asSchema(after);
  if (!was || Object.keys(was).length === 0) return []; // anything was allowed, nothing to keep
  if (!is) return [`${at}: removed`];
  const issues: string[] = [];
  const wasTypes = typesOf(was);
  const isTypes = typesOf(is);
  if (
    isTypes &&
    (!wasTypes || wasTypes.some((t) => !isTypes.includes(t) && !(t === 'integer' && isTypes.includes('number'))))
  ) {
    issues.push(`${at}: type narrowed from ${JSON.stringify(wasTypes ?? 'any')} to ${JSON.stringify(isTypes)}`);
  }
  if (Array.isArray(is['enum'])) {
    const allowed = is['enum'] as unknown[];
    const lost = Array.isArray(was['enum'])
      ? (was['enum'] as unknown[]).filter((v) => !allowed.includes(v))
      : ['(any)'];
    if (lost.length > 0) issues.push(`${at}: enum narrowed, no longer allows ${JSON.stringify(lost)}`);
  }
  for (const key of UPPER_BOUNDS) {
    const [w, i] = [was[key] as number | undefined, is[key] as number | undefined];
    if (i !== undefined && (w === undefined || i < w))
      issues.push(`${at}: ${key} tightened from ${w ?? 'none'} to ${i}`);
  }
  for (const key of LOWER_BOUNDS) {
    const [w, i] = [was[key] as number | undefined, is[key] as number | undefined];
    if (i !== undefined && (w === undefined || i > w))
      issues.push(`${at}: ${key} tightened from ${w ?? 'none'} to ${i}`);
  }
  for (const key of EXACT) {
    if (is[key] !== undefined && JSON.stringify(is[key]) !== JSON.stringify(was[key])) {
      issues.push(`${at}: ${key} ${was[key] === undefined ? 'added' : 'changed'} (${JSON.stringify(is[key])})`);
    }
  }
  const wasProperties = asSchema(was['properties']) ?? {};
  const isProperties = asSchema(is['properties']) ?? {};
  for (const [name, schema] of Object.entries(wasProperties)) {
    if (!(name in isProperties)) issues.push(`${at}.${name}: field removed`);
    else issues.push(...schemaIncompatibilities(schema, isProperties[name], `${at}.${name}`));
  }
  const wasRequired = (was['required'] as string[] | undefined) ?? [];
  for (const name of (is['required'] as string[] | undefined) ?? []) {
    if (wasRequired.includes(name)) continue;
    issues.push(`${at}.${name}: ${name in wasProperties ? 'optional field made required' : 'required field added'}`);
  }
  if (is['additionalProperties'] === false && was['additionalProperties'] !== false) {
    issues.push(`${at}: additional properties no longer allowed`);
  }
  if (was['items'] !== undefined) issues.push(...schemaIncompatibilities(was['items'], is['items'], `${at}[]`));
  for (const key of ['oneOf', 'anyOf'] as const) {
    const wasOptions = (was[key] as unknown[] | undefined) ?? [];
    const isOptions = (is[key] as unknown[] | undefined) ?? [];
    wasOptions.forEach((option, index) => {
      issues.push(...schemaIncompatibilities(option, isOptions[index], `${at}.${key}[${index}]`));
    });
  }
  return issues;
}

/** Every incompatibility of the messages of `after` (an AsyncAPI document) with those of `before`. */
export function asyncApiIncompatibilities(before: unknown, after: unknown): string[] {
  const messagesOf = (document: unknown) => asSchema(asSchema(asSchema(document)?.['components'])?.['messages']) ?? {};
  const current = messagesOf(after);
  const issues: string[] = [];
  for (const [name, message] of Object.entries(messagesOf(before))) {
    const now = asSchema(current[name]);
    if (!now) {
      issues.push(`${name}: message removed`);
      continue;
    }
    const was = asSchema(message) ?? {};
    issues.push(...schemaIncompatibilities(was['payload'], now['payload'], `${name}.payload`));
    issues.push(...schemaIncompatibilities(was['headers'], now['headers'], `${name}.headers`));
    if (was['contentType'] !== now['contentType']) issues.push(`${name}: contentType changed`);
  }
  return issues;
}
