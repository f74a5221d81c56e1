import { z } from 'zod';
import { ContractViolation } from '../contract-violation';

/**
 * The zod schemas of libs/contracts are the one source of every message: the TypeScript types come
 * from them (`z.input`), the runtime checks run them, and `z.toJSONSchema` gives the JSON Schema the
 * AsyncAPI document carries. Checks JSON Schema cannot say (bytes of UTF-8, a calendar date) are
 * custom checks here; their JSON Schema keeps the closest bound it can (`maxLength` in characters).
 */

/** How a contract words a violation: `field` is the path of the first issue (undefined: the body). */
export type ViolationWording = (field: string | undefined, message: string) => string;

/** What a contract's violations are: their code, their wording, the field a bare value stands for. */
export interface ViolationStyle {
  readonly code: ContractViolation['code'];
  readonly wording: ViolationWording;
  /** The field a violation of the value itself names (when the schema is one field's, not a body's). */
  readonly field?: string;
}

/** Checks `value` against `schema`; throws a ContractViolation for its first issue. */
export function checkContract<S extends z.ZodType>(schema: S, value: unknown, style: ViolationStyle): z.output<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  throw violationOf(result.error, style);
}

/** The ContractViolation of a zod error's first issue. */
export function violationOf(error: z.ZodError, style: ViolationStyle): ContractViolation {
  const issue = error.issues[0];
  const field = issue.path.length === 0 ? style.field : issue.path.map(String).join('.');
  const params = (issue as { params?: { violation?: ContractViolation['code'] } }).params;
  return new ContractViolation(params?.violation ?? style.code, style.wording(field, issue.message), field);
}

/** A UUID in its canonical 8-4-4-4-12 form, any version (event ids). */
export function uuidField(description?: string) {
  return z.guid({ error: 'must be a UUID' }).meta({ description });
}

/** Limits of a text field: bytes of UTF-8 always, code points when the contract counts characters. */
export interface TextLimits {
  readonly maxBytes: number;
  readonly allowEmpty?: boolean;
  readonly maxCodePoints?: number;
  /** The violation code of a text over `maxBytes` (default: the contract's own). */
  readonly tooLarge?: ContractViolation['code'];
  /** The wording of a text over `maxBytes` (default `must be at most N bytes of UTF-8`). */
  readonly tooLargeMessage?: string;
  readonly description?: string;
}

/** A string field checked in one pass: empty, then characters, then bytes, the first that fails. */
export function textField(limits: TextLimits) {
  const { maxBytes, allowEmpty = false, maxCodePoints } = limits;
  const tooLarge = limits.tooLargeMessage ?? `must be at most ${maxBytes} bytes of UTF-8`;
  return z
    .string({ error: 'must be a string' })
    .check((ctx) => {
      const value = ctx.value;
      if (value.length === 0) {
        if (!allowEmpty) ctx.issues.push({ code: 'custom', message: 'must not be empty', input: value });
        return;
      }
      // A string has at least as many UTF-16 units as code points: only a long one needs counting.
      if (maxCodePoints !== undefined && value.length > maxCodePoints && codePointCount(value) > maxCodePoints) {
        ctx.issues.push({ code: 'custom', message: `must be at most ${maxCodePoints} characters`, input: value });
        return;
      }
      // Each UTF-16 unit is at most 3 bytes of UTF-8: only a long string needs encoding.
      if (value.length * 3 > maxBytes && Buffer.byteLength(value, 'utf8') > maxBytes) {
        const params = limits.tooLarge ? { violation: limits.tooLarge } : undefined;
        ctx.issues.push({ code: 'custom', message: tooLarge, input: value, params });
      }
    })
    .meta({
      description: limits.description,
      ...(allowEmpty ? {} : { minLength: 1 }),
      // JSON Schema counts characters; a text of N bytes of UTF-8 has at most N of them.
      maxLength: maxCodePoints ?? maxBytes,
    });
}

// Each surrogate pair is two UTF-16 units but one code point; a lone surrogate counts as one.
const SURROGATE_PAIR = /[\uD800-\uDBFF][\uDC00-\uDFFF]/g;

export function codePointCount(text: string): number {
  return text.length - (text.match(SURROGATE_PAIR)?.length ?? 0);
}

// An RFC 3339 date-time with an explicit offset: a bare local time would mean different
// instants on different hosts.
const TIMESTAMP_PATTERN = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d+)?(Z|[+-](\d{2}):(\d{2}))$/i;

function parseTimestamp(value: string): number {
  const match = TIMESTAMP_PATTERN.exec(value);
  if (match === null) return Number.NaN;
  const [year, month, day, hour, minute, second] = match.slice(1, 7).map(Number);
  const offsetHour = match[9] === undefined ? 0 : Number(match[9]);
  const offsetMinute = match[10] === undefined ? 0 : Number(match[10]);
  // Date.parse rolls 2024-02-31 over to March instead of refusing it.
  const daysInMonth = new Date(Date.UTC(year, month, 0)).getUTCDate();
  const inRange =
    month >= 1 &&
    month <= 12 &&
    day >= 1 &&
    day <= daysInMonth &&
    hour <= 23 &&
    minute <= 59 &&
    second <= 59 &&
    offsetHour <= 23 &&
    offsetMinute <= 59;
  return inRange ? Date.parse(value) : Number.NaN;
}

// Events made in the same millisecond carry the same timestamp: under load most checks and
// conversions repeat the one before, so the last result of each is kept.
let lastChecked = { value: '', normalised: '' };
let lastConverted = { time: Number.NaN, text: '' };

/** `value` normalised to UTC (`toISOString()` form), or undefined when it is no RFC 3339 timestamp. */
export function normalisedTimestamp(value: string): string | undefined {
  if (value === lastChecked.value) return lastChecked.normalised;
  const time = parseTimestamp(value);
  if (Number.isNaN(time)) return undefined;
  const normalised = new Date(time).toISOString();
  lastChecked = { value, normalised };
  return normalised;
}

const TIMESTAMP_MESSAGE = 'must be an RFC 3339 timestamp such as 2024-01-31T12:00:00.000Z';

/** An RFC 3339 timestamp with an offset (JSON Schema `format: date-time`). */
export function timestampField(description?: string) {
  return z
    .string({ error: TIMESTAMP_MESSAGE })
    .check((ctx) => {
      if (normalisedTimestamp(ctx.value) === undefined) {
        ctx.issues.push({ code: 'custom', message: TIMESTAMP_MESSAGE, input: ctx.value });
      }
    })
    .meta({ format: 'date-time', description });
}

/** A Date or timestamp string as the normalised UTC form events carry. */
export function toTimestamp(value: Date | string | undefined): string {
  const time = value === undefined ? Date.now() : value instanceof Date ? value.getTime() : Date.parse(value);
  if (Number.isNaN(time)) return String(value);
  if (time !== lastConverted.time) lastConverted = { time, text: new Date(time).toISOString() };
  return lastConverted.text;
}

/** How the integration events word a violation: the AMQP type, then the field. */
export function eventStyle(type: string): ViolationStyle {
  return {
    code: 'invalid-event',
    wording: (field, message) => (field === undefined ? `${type}: ${message}` : `${type}: "${field}" ${message}`),
  };
}

/** The body of every JSON message is an object: what a body of another kind is told. */
export function jsonObject<Shape extends z.ZodRawShape>(shape: Shape, notAnObject = 'the body must be a JSON object') {
  return z.object(shape, { error: notAnObject });
}

/**
 * Checks only `fields` of `value` against their schemas in `schema` (in that order): for an object a
 * process builds itself, whose other fields it made valid by construction (a fresh id, a timestamp
 * it formatted). Throws the ContractViolation `checkContract` would for the first that fails.
 */
export function checkFields<Shape extends z.ZodRawShape>(
  schema: z.ZodObject<Shape>,
  value: Readonly<Record<string, unknown>>,
  fields: readonly (keyof Shape & string)[],
  style: ViolationStyle,
): void {
  for (const field of fields) {
    const result = (schema.shape[field] as unknown as z.ZodType).safeParse(value[field]);
    if (!result.success) throw violationOf(result.error, { ...style, field });
  }
}

/** Marks a constructor call whose data a factory of the same file has already checked. */
export const ALREADY_CHECKED: unique symbol = Symbol('already checked');

/** Of `fields`, those `data` was given (not undefined): what a factory must check. */
export function givenFields<K extends string>(data: Readonly<Partial<Record<K, unknown>>>, fields: readonly K[]): K[] {
  return fields.filter((field) => data[field] !== undefined);
}
