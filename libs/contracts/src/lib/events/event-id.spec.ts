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

  it('should keep the ids it derived before (de-duplication across a deploy depends on it)', () => {
    expect(deriveId('message.handled', 'abc')).toBe('57fc94bf-1494-500e-9935-857eb9b272b4');
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

  it('should use the namespace it is given, call after call', () => {
    const url = '6ba7b811-9dad-11d1-80b4-00c04fd430c8';
    const dns = '6ba7b810-9dad-11d1-80b4-00c04fd430c8';
    expect(uuidV5(url, 'https://example.com/')).toBe('dd2c1780-811a-5296-81c5-178a0ef488bc');
    expect(uuidV5(dns, 'www.example.com')).toBe('2ed6657d-e927-568b-95e1-2665a8aea6a2');
    expect(uuidV5(url, 'https://example.com/')).toBe('dd2c1780-811a-5296-81c5-178a0ef488bc');
  });

  it('should refuse a namespace that is not a UUID', () => {
    expect(() => uuidV5('not-a-uuid', 'x')).toThrow(/not a UUID/);
  });
});
