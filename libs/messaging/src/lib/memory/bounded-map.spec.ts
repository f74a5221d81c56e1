import { BoundedMap } from './bounded-map';

describe('BoundedMap', () => {
  it('should keep values by key', () => {
    const map = new BoundedMap<number>(3);
    map.set('a', 1);
    expect(map.get('a')).toBe(1);
    expect(map.has('b')).toBe(false);
  });

  it('should forget the oldest insert first once full', () => {
    const map = new BoundedMap<number>(2);
    map.set('a', 1);
    map.set('b', 2);
    map.set('c', 3);
    expect([map.has('a'), map.has('b'), map.has('c')]).toEqual([false, true, true]);
    expect(map.size).toBe(2);
  });

  it('should count a key set again as new', () => {
    const map = new BoundedMap<number>(2);
    map.set('a', 1);
    map.set('b', 2);
    map.set('a', 3);
    map.set('c', 4);
    expect([map.get('a'), map.has('b'), map.get('c')]).toEqual([3, false, 4]);
  });

  it('should stay within its capacity over many inserts', () => {
    const map = new BoundedMap<number>(100);
    for (let i = 0; i < 10_000; i++) map.set(`k${i}`, i);
    expect(map.size).toBe(100);
    expect(map.get('k9999')).toBe(9999);
    expect(map.has('k9899')).toBe(false);
  });

  it('should keep its queue of keys bounded when the same key is set again and again', () => {
    const map = new BoundedMap<number>(3);
    for (let i = 0; i < 10_000; i++) map.set('same', i);
    expect(map.size).toBe(1);
    expect(map.get('same')).toBe(9_999);
    expect((map as unknown as { keys: string[] }).keys.length).toBeLessThanOrEqual(3 * 3);
  });

  it('should keep nothing with capacity 0', () => {
    const map = new BoundedMap<number>(0);
    map.set('a', 1);
    expect(map.has('a')).toBe(false);
  });
});
