import { ProcessedMessages } from './processed-messages';

describe('ProcessedMessages', () => {
  it('should remember ids up to its capacity, forgetting the oldest first', () => {
    const processed = new ProcessedMessages(2);
    processed.add('a');
    processed.add('b');
    processed.add('c');
    expect(processed.has('a')).toBe(false);
    expect(processed.has('b')).toBe(true);
    expect(processed.has('c')).toBe(true);
    expect(processed.size).toBe(2);
  });

  it('should count a re-added id as recent', () => {
    const processed = new ProcessedMessages(2);
    processed.add('a');
    processed.add('b');
    processed.add('a');
    processed.add('c');
    expect(processed.has('a')).toBe(true);
    expect(processed.has('b')).toBe(false);
  });

  it('should remember nothing with capacity 0', () => {
    const processed = new ProcessedMessages(0);
    processed.add('a');
    expect(processed.has('a')).toBe(false);
  });
});

describe('ProcessedMessages over many adds', () => {
  it('should keep exactly the last `capacity` distinct ids', () => {
    const processed = new ProcessedMessages(100);
    for (let i = 0; i < 10_000; i++) processed.add(`m-${i}`);
    expect(processed.size).toBe(100);
    expect(processed.has('m-9899')).toBe(false);
    expect(processed.has('m-9900')).toBe(true);
    expect(processed.has('m-9999')).toBe(true);
  });

  it('should stay bounded when the same ids are added again and again', () => {
    const processed = new ProcessedMessages(3);
    for (let i = 0; i < 10_000; i++) processed.add(`m-${i % 5}`);
    // The last three adds were m-2, m-3, m-4 (9997, 9998, 9999).
    expect(['m-0', 'm-1', 'm-2', 'm-3', 'm-4'].map((id) => processed.has(id))).toEqual([
      false,
      false,
      true,
      true,
      true,
    ]);
    for (let i = 0; i < 10_000; i++) processed.add('m-same');
    expect(processed.size).toBe(3);
    expect(processed.has('m-same')).toBe(true);
  });

  it('should keep exactly the last 10,000 of 200,000 ids at a capacity of 10,000', () => {
    // What the consumer relies on; how fast an add is, is the benchmark's business (a timed assertion
    // here failed on a busy machine).
    const processed = new ProcessedMessages(10_000);
    for (let i = 0; i < 200_000; i++) processed.add(`message-${i}`);
    expect(processed.size).toBe(10_000);
    expect(processed.has('message-189999')).toBe(false);
    expect(processed.has('message-190000')).toBe(true);
    expect(processed.has('message-199999')).toBe(true);
  });
});
