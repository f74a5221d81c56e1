import { deriveId, isUuid, newEventId, uuidV5 } from './event-id';

describe('deriveId', () => {
  it('should give the same UUID v5 for the same parts', () => {
    const id = deriveId('message.handled', 'abc');
    expect(id).toBe(deriveId('message.handled', 'abc'));
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });

  it('should give different ids for different parts, however they are split', () => {
    expect(deriveId('a:b', 'c')).not.toBe(deriveId('a', 'b:c'));
    expect(deriveId('message.handled', 'abc')).not.toBe(deriveId('message.handled', 'abd'));
  });

  it('should ignore nothing: one part differs, the id differs', () => {
    expect(deriveId('welcome', 'x')).not.toBe(deriveId('welcome', 'x', ''));
  });
});

describe('newEventId', () => {
  it('should give a fresh UUID each time', () => {
    const a = newEventId();
    expect(isUuid(a)).toBe(true);
    expect(newEventId()).not.toBe(a);
  });
});

describe('uuidV5', () => {
  it('should reproduce the RFC 9562 example (DNS namespace, www.example.com)', () => {
    expect(uuidV5('6ba7b810-9dad-11d1-80b4-00c04fd430c8', 'www.example.com')).toBe(
      '2ed6657d-e927-568b-95e1-2665a8aea6a2',
    );
  });
});
