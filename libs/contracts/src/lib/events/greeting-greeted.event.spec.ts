import { ContractViolation } from '../contract-violation';
import { GreetingGreetedIntegrationEvent } from './greeting-greeted.event';

const valid = {
  eventId: '2c5ea4c0-4067-11e9-8bad-9b1deb4d3b7d',
  name: 'world',
  message: 'Hello, world!',
  greetedAt: '2024-01-31T12:00:00.000Z',
};

function violationOf(value: unknown): ContractViolation {
  try {
    GreetingGreetedIntegrationEvent.parse(value);
  } catch (error) {
    if (error instanceof ContractViolation) return error;
    throw error;
  }
  throw new Error(`expected ${JSON.stringify(value)} to be rejected`);
}

describe('GreetingGreetedIntegrationEvent', () => {
  it('should name its routing key, version and AMQP type', () => {
    expect(GreetingGreetedIntegrationEvent.routingKey).toBe('greeting.greeted');
    expect(GreetingGreetedIntegrationEvent.version).toBe(1);
    expect(GreetingGreetedIntegrationEvent.type).toBe('greeting.greeted.v1');
  });

  it('should parse a valid body and give it back unchanged from toJSON', () => {
    const event = GreetingGreetedIntegrationEvent.parse(valid);
    expect(event.toJSON()).toEqual(valid);
    expect(JSON.parse(JSON.stringify(event))).toEqual(valid);
  });

  it('should normalise the timestamp to UTC and ignore unknown fields', () => {
    const event = GreetingGreetedIntegrationEvent.parse({
      ...valid,
      greetedAt: '2024-01-31T13:00:00+01:00',
      addedInALaterMinorVersion: true,
    });
    expect(event.toJSON()).toEqual(valid);
  });

  it('should check each timestamp on its own, however many in a row repeat one', () => {
    const offset = { ...valid, greetedAt: '2024-01-31T13:00:00+01:00' };
    expect(GreetingGreetedIntegrationEvent.parse(offset).greetedAt).toBe(valid.greetedAt);
    expect(GreetingGreetedIntegrationEvent.parse(offset).greetedAt).toBe(valid.greetedAt);
    expect(violationOf({ ...valid, greetedAt: '2024-02-31T12:00:00Z' }).field).toBe('greetedAt');
    expect(GreetingGreetedIntegrationEvent.parse(offset).greetedAt).toBe(valid.greetedAt);
    const at = new Date('2024-06-01T00:00:00.001Z');
    expect(GreetingGreetedIntegrationEvent.create({ name: 'a', message: 'm', greetedAt: at }).greetedAt).toBe(
      '2024-06-01T00:00:00.001Z',
    );
    expect(
      GreetingGreetedIntegrationEvent.create({ name: 'a', message: 'm', greetedAt: '2024-06-01T02:00:00.002+02:00' })
        .greetedAt,
    ).toBe('2024-06-01T00:00:00.002Z');
  });

  it('should be immutable', () => {
    const event = GreetingGreetedIntegrationEvent.parse(valid);
    expect(() => {
      (event as { name: string }).name = 'other';
    }).toThrow(TypeError);
  });

  it('should create an event with a fresh id and the current time', () => {
    const a = GreetingGreetedIntegrationEvent.create({ name: 'world', message: 'Hello, world!' });
    const b = GreetingGreetedIntegrationEvent.create({ name: 'world', message: 'Hello, world!' });
    expect(a.eventId).not.toBe(b.eventId);
    expect(Math.abs(Date.parse(a.greetedAt) - Date.now())).toBeLessThan(5_000);
  });

  it.each([
    [null, undefined],
    ['a string', undefined],
    [[valid], undefined],
    [{ ...valid, eventId: undefined }, 'eventId'],
    [{ ...valid, eventId: 'not-a-uuid' }, 'eventId'],
    [{ ...valid, name: undefined }, 'name'],
    [{ ...valid, name: '' }, 'name'],
    [{ ...valid, name: 42 }, 'name'],
    [{ ...valid, name: 'x'.repeat(257) }, 'name'],
    [{ ...valid, message: null }, 'message'],
    [{ ...valid, greetedAt: 'yesterday' }, 'greetedAt'],
    [{ ...valid, greetedAt: '2024-01-31T12:00:00' }, 'greetedAt'],
    [{ ...valid, greetedAt: '2024-02-31T12:00:00Z' }, 'greetedAt'],
    [{ ...valid, greetedAt: 1706702400000 }, 'greetedAt'],
  ])('should reject %j with invalid-event naming field %s', (value, field) => {
    const violation = violationOf(value);
    expect(violation.code).toBe('invalid-event');
    expect(violation.field).toBe(field);
    expect(violation.message).toContain('greeting.greeted.v1');
  });

  it('should count a name in characters, not UTF-16 units', () => {
    expect(GreetingGreetedIntegrationEvent.parse({ ...valid, name: '😀'.repeat(256) }).name).toHaveLength(512);
  });
});
