import { ContractViolation } from '../contract-violation';
import { isUuid } from './event-id';

/**
 * Field checks shared by the integration event classes. Each throws a ContractViolation with
 * code `invalid-event` naming the field, prefixed with the event type so a dead-letter reason
 * says which contract was broken.
 */
export type EventFields = Readonly<Record<string, unknown>>;

export function eventObject(type: string, value: unknown): EventFields {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new ContractViolation('invalid-event', `${type}: the body must be a JSON object`);
  }
  return value as EventFields;
}

export function eventIdField(type: string, fields: EventFields, field = 'eventId'): string {
  const value = fields[field];
  if (typeof value !== 'string' || !isUuid(value)) {
    throw new ContractViolation('invalid-event', `${type}: "${field}" must be a UUID`, field);
  }
  return value.toLowerCase();
}

export function textField(
  type: string,
  fields: EventFields,
  field: string,
  limits: { maxBytes: number; allowEmpty?: boolean; maxCodePoints?: number },
): string {
  const value = fields[field];
  if (typeof value !== 'string') {
    throw new ContractViolation('invalid-event', `${type}: "${field}" must be a string`, field);
  }
  if (value.length === 0 && !limits.allowEmpty) {
    throw new ContractViolation('invalid-event', `${type}: "${field}" must not be empty`, field);
  }
  // A string has at least as many UTF-16 units as code points: only a long one needs counting.
  if (
    limits.maxCodePoints !== undefined &&
    value.length > limits.maxCodePoints &&
    [...value].length > limits.maxCodePoints
  ) {
    throw new ContractViolation(
      'invalid-event',
      `${type}: "${field}" must be at most ${limits.maxCodePoints} characters`,
      field,
    );
  }
  if (Buffer.byteLength(value, 'utf8') > limits.maxBytes) {
    throw new ContractViolation(
      'invalid-event',
      `${type}: "${field}" must be at most ${limits.maxBytes} bytes of UTF-8`,
      field,
    );
  }
  return value;
}

// An RFC 3339 date-time with an explicit offset: a bare local time would mean different
// instants on different hosts.
const TIMESTAMP_PATTERN = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d+)?(Z|[+-](\d{2}):(\d{2}))$/i;

function parseTimestamp(value: unknown): number {
  const match = typeof value === 'string' ? TIMESTAMP_PATTERN.exec(value) : null;
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
  return inRange ? Date.parse(value as string) : Number.NaN;
}

// Events made in the same millisecond carry the same timestamp: under load most checks and
// conversions repeat the one before, so the last result of each is kept.
let lastChecked = { value: '', normalised: '' };
let lastConverted = { time: Number.NaN, text: '' };

/** Reads an RFC 3339 timestamp and returns it normalised to UTC (`toISOString()` form). */
export function timestampField(type: string, fields: EventFields, field: string): string {
  const value = fields[field];
  if (typeof value === 'string' && value === lastChecked.value) return lastChecked.normalised;
  const time = parseTimestamp(value);
  if (Number.isNaN(time)) {
    throw new ContractViolation(
      'invalid-event',
      `${type}: "${field}" must be an RFC 3339 timestamp such as 2024-01-31T12:00:00.000Z`,
      field,
    );
  }
  const normalised = new Date(time).toISOString();
  lastChecked = { value: value as string, normalised };
  return normalised;
}

/** A Date or timestamp string as the normalised UTC form events carry. */
export function toTimestamp(value: Date | string | undefined): string {
  const time = value === undefined ? Date.now() : value instanceof Date ? value.getTime() : Date.parse(value);
  if (Number.isNaN(time)) return String(value);
  if (time !== lastConverted.time) lastConverted = { time, text: new Date(time).toISOString() };
  return lastConverted.text;
}
